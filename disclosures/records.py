"""The patrons named in disclosure requests are a record kind: kept while the request is
open and for the disclosure register's retention after it closes."""

from django.db.models import F, Q

from patrons.registry import Expunge, RecordKind, registry

from .models import DisclosureRequest, DisclosureScope

registry.register(
    RecordKind(
        name="disclosure_scope",
        staff_name="Disclosure scopes",
        patron_name="requests for your records",
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
