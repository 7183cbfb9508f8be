"""The library's retention schedule: each rule, its default days and its wording.

The data migration that creates the `RetentionPolicy` rows, the record registry and the
public privacy page all read this module, so the schedule the patrons are told about is
the schedule the expunge applies. Days are edited per library in the admin
(`RetentionPolicy`); this module holds the defaults and the plain-language wording.
"""

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class RetentionRule:
    kind: str
    label: str
    default_days: int
    #: Plain-language: while the record is needed for the transaction.
    active_while: str
    #: Plain-language: what the retention period counts from.
    counted_from: str
    #: Plain-language: what "expunged" means for this kind.
    expunge_means: str
    #: Place on the public schedule (lower first).
    order: int = 100


AFTER_CLOSE = gettext_noop("the day the record closes")

#: Every rule, by kind: filled by the apps (a record kind brings its rule; rules for what
#: is not a record kind, like the audit log, are registered with `register_rule`).
RULES_BY_KIND: dict[str, RetentionRule] = {}


def register_rule(rule: RetentionRule) -> RetentionRule:
    known = RULES_BY_KIND.get(rule.kind)
    if known is not None and known != rule:
        raise ValueError(f"Two different retention rules for {rule.kind!r}.")
    RULES_BY_KIND[rule.kind] = rule
    return rule


def rules() -> list[RetentionRule]:
    """The schedule, in the order the public page shows it."""
    return sorted(RULES_BY_KIND.values(), key=lambda rule: (rule.order, rule.kind))


def kernel_model(apps, name: str):
    """One of this room's models in `apps` (a migration's historical apps or the running
    site's): the patrons app held them until the privacy kernel had a room of its own, so
    a migration written then finds them there."""
    try:
        return apps.get_model("privacy", name)
    except LookupError:
        return apps.get_model("patrons", name)


def ensure_retention_policies(sender=None, apps=None, **kwargs) -> int:
    """Create the missing `RetentionPolicy` rows with their default days.

    Used by the data migration and after every `migrate`, so a record kind added later
    gets its row too. Existing rows (and the days an administrator chose) are untouched.
    """
    if apps is None:
        apps = global_apps
    try:
        policy_model = kernel_model(apps, "RetentionPolicy")
    except LookupError:
        return 0
    existing = set(policy_model.objects.values_list("kind", flat=True))
    missing = [
        policy_model(kind=rule.kind, days=rule.default_days)
        for rule in rules()
        if rule.kind not in existing
    ]
    policy_model.objects.bulk_create(missing)
    return len(missing)
