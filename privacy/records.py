"""Record kinds of the privacy kernel: legal holds (a patron's record too), and the
retention rule of the audit trail's own entries."""

from auditlog.registry import auditlog
from django.db.models import F, Q
from django.utils.translation import gettext_noop

from privacy.access import register_purpose
from privacy.models import LegalHold, RetentionPolicy
from privacy.policy import RetentionRule, register_rule
from privacy.registry import Expunge, RecordKind, registry

registry.register(
    RecordKind(
        name="legal_hold",
        disclosable=False,
        staff_name=gettext_noop("Legal holds"),
        patron_name=gettext_noop("legal holds"),
        model=LegalHold,
        patron_path="patron",
        active=lambda now: Q(released_at__isnull=True),
        closed_at=lambda: F("released_at"),
        opened_at=lambda: F("set_at"),
        expunge=Expunge.DELETE,
        policy_kind="disclosure_request",
        # A hold may be secret (a non-disclosure order); the disclosure scope that set it
        # shows in the patron's data once the patron may be told.
        patron_visible=lambda: Q(pk__in=[]),
        export_fields=("set_at", "released_at"),
        audit_mask=("reason",),
    )
)


register_rule(
    RetentionRule(
        order=90,
        kind="audit_entry",
        label=gettext_noop("Access log (which staff member opened which record, and when)"),
        default_days=365,
        active_while=gettext_noop("never"),
        counted_from=gettext_noop("the day the entry was written"),
        expunge_means=gettext_noop(
            "the entry is deleted; entries about an expunged record lose their content at once"
        ),
    )
)

# The legal holds and retention pages of the staff site show patron records too.
register_purpose("admin:privacy.", gettext_noop("in the patron records"))

# How long each kind is kept is no patron's record, but every change to it is audited.
auditlog.register(RetentionPolicy, exclude_fields=["updated_at"])
