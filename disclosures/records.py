"""The patrons named in disclosure requests are a record kind: kept while the request is
open and for the disclosure register's retention after it closes."""

from django.db.models import F, Q
from django.utils.translation import gettext_noop

from disclosures.models import DisclosureRequest, DisclosureScope
from privacy.policy import RetentionRule, register_rule
from privacy.registry import Expunge, RecordKind, registry
from staff.roles import CIRCULATION_STAFF, LIBRARY_ADMINISTRATOR, grant, perms

registry.register(
    RecordKind(
        name="disclosure_scope",
        disclosable=False,
        staff_name=gettext_noop("Disclosure requests naming the patron"),
        patron_name=gettext_noop("requests for your records"),
        model=DisclosureScope,
        patron_path="patron",
        active=lambda now: Q(request__status__in=DisclosureRequest.OPEN_STATUSES),
        closed_at=lambda: F("request__closed_at"),
        opened_at=lambda: F("request__received_at"),
        expunge=Expunge.DELETE,
        policy_kind="disclosure_request",
        patron_visible=lambda: Q(
            request__patron_may_be_told=True, request__patrons_notified_at__isnull=False
        ),
        export_fields=("request__received_at", "request__legal_basis", "request__status"),
    )
)

register_rule(
    RetentionRule(
        order=100,
        kind="disclosure_request",
        label=gettext_noop("Requests for disclosure by courts or law enforcement"),
        default_days=1825,
        active_while=gettext_noop("until the request is decided and fulfilled"),
        counted_from=gettext_noop("the day the request closes"),
        expunge_means=gettext_noop(
            "the request, its legal documents and any released package are deleted"
        ),
    )
)

# Any staff member records a demand for records (and sees only what they recorded); only a
# library administrator decides one.
grant(CIRCULATION_STAFF, perms("disclosures", "disclosurerequest", "view", "add"))
grant(
    LIBRARY_ADMINISTRATOR,
    [
        *perms("disclosures", "disclosurerequest", "change"),
        "disclosures.decide_disclosurerequest",
    ],
)
