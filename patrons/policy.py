"""The library's retention schedule (DESIGN.md section 4), in one place.

The data migration that creates the `RetentionPolicy` rows, the record registry and the
public privacy page all read this module, so the schedule the patrons are told about is
the schedule the expunge applies. Days are edited per library in the admin
(`RetentionPolicy`); this module holds the defaults and the plain-language wording.
"""

from dataclasses import dataclass


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


AFTER_CLOSE = "the day the record closes"

RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        kind="loan",
        label="Loans (what you borrowed)",
        default_days=0,
        active_while="the item is checked out to you, or a fine on it is unpaid",
        counted_from=AFTER_CLOSE,
        expunge_means=(
            "the loan is deleted. When you borrow, we add one to two counts: items of that "
            "type borrowed that day at that branch by patrons of your category, and times "
            "the title was borrowed that month. Those counts never name you. If you turn "
            "on reading history, we keep your returned loans for you until you turn it off "
            "or delete them"
        ),
    ),
    RetentionRule(
        kind="hold",
        label="Holds (reserves)",
        default_days=0,
        active_while="the hold is waiting in the queue, in transit, or on the hold shelf",
        counted_from=AFTER_CLOSE,
        expunge_means="the hold is deleted",
    ),
    RetentionRule(
        kind="fine",
        label="Fines and fees",
        default_days=0,
        active_while="part of the amount is unpaid",
        counted_from=AFTER_CLOSE,
        expunge_means=(
            "the fine is deleted; the library's accounts keep only the day's totals charged, "
            "paid and waived for each kind of charge"
        ),
    ),
    RetentionRule(
        kind="program_registration",
        label="Program sign-ups",
        default_days=0,
        active_while="until the program ends",
        counted_from=AFTER_CLOSE,
        expunge_means="the sign-up is deleted; the program keeps only its attendance count",
    ),
    RetentionRule(
        kind="visit",
        label="Library visits (card scanned at the entrance)",
        default_days=0,
        active_while="never: a visit is closed as soon as it is recorded",
        counted_from="the visit",
        expunge_means="the visit is deleted at the next nightly run; only the number of "
        "visits per branch per day is kept",
    ),
    RetentionRule(
        kind="computer_session",
        label="Public computer sessions",
        default_days=0,
        active_while="you are using the computer",
        counted_from="the end of the session",
        expunge_means=(
            "the session is deleted; only the number of sessions and minutes of use per "
            "branch per day are kept"
        ),
    ),
    RetentionRule(
        kind="patron_block",
        label="Suspensions of borrowing privileges",
        default_days=0,
        active_while="the suspension is in force",
        counted_from="the end or lifting of the suspension",
        expunge_means="the suspension record is deleted",
    ),
    RetentionRule(
        kind="patron",
        label="Your registration (name, address, contact details, card)",
        default_days=730,
        active_while="your card has not expired, or you have any active record with us",
        counted_from="your card's expiry, with no activity since",
        expunge_means="your registration, cards and PIN are deleted",
    ),
    RetentionRule(
        kind="audit_entry",
        label="Access log (which staff member opened which record, and when)",
        default_days=365,
        active_while="never",
        counted_from="the day the entry was written",
        expunge_means=(
            "the entry is deleted; entries about an expunged record lose their content at once"
        ),
    ),
    RetentionRule(
        kind="disclosure_request",
        label="Requests for disclosure by courts or law enforcement",
        default_days=1825,
        active_while="until the request is decided and fulfilled",
        counted_from="the day the request closes",
        expunge_means="the request, its legal documents and any released package are deleted",
    ),
)

RULES_BY_KIND: dict[str, RetentionRule] = {rule.kind: rule for rule in RULES}


def ensure_retention_policies(sender=None, apps=None, **kwargs) -> int:
    """Create the missing `RetentionPolicy` rows with their default days.

    Used by the data migration and after every `migrate`, so a record kind added later
    gets its row too. Existing rows (and the days an administrator chose) are untouched.
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    try:
        policy_model = apps.get_model("patrons", "RetentionPolicy")
    except LookupError:
        return 0
    existing = set(policy_model.objects.values_list("kind", flat=True))
    missing = [
        policy_model(kind=rule.kind, days=rule.default_days)
        for rule in RULES
        if rule.kind not in existing
    ]
    policy_model.objects.bulk_create(missing)
    return len(missing)
