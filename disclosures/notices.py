"""Telling patrons that their records were released, when no order forbids it."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q import tasks as django_q_tasks

from circulation.notices.outbox import notice_key, send_once
from disclosures.models import DisclosureRequest


def queue_disclosure_notices(*, request_id: int) -> None:
    def enqueue() -> None:
        django_q_tasks.async_task(
            "disclosures.notices.send_disclosure_notices", request_id, group="notices"
        )

    transaction.on_commit(enqueue)


def send_disclosure_notices(request_id: int) -> int:
    """One email per patron in scope with an address, each once. Returns the number sent."""
    request = DisclosureRequest.objects.filter(
        pk=request_id, patron_may_be_told=True, patrons_notified_at__isnull=True
    ).first()
    if request is None:
        return 0
    sent = 0
    for scope in request.scopes.select_related("patron"):
        patron = scope.patron
        if not patron.email:
            continue
        day = f"{timezone.localtime(request.decided_at):%B %d, %Y}"
        basis = request.get_legal_basis_display().lower()
        body = (
            f"Hello {patron.first_name},\n\n"
            f"The library is required to tell you that on {day} "
            f"it released records about you in response to a {basis} "
            f"from {request.agency}"
            + (f" (case {request.case_number})" if request.case_number else "")
            + ".\n\nYou may ask the library administrator which records were released.\n\n"
            f"{settings.CALUMET_LIBRARY_NAME}"
        )
        # Through the notices' outbox: a task retried, or run again after a worker died
        # mid-batch, tells no patron twice.
        sent += send_once(
            key=notice_key("disclosure", request.pk, patron.pk),
            subject="Records about you were released by the library",
            body=body,
            to=patron.email,
        )
    DisclosureRequest.objects.filter(pk=request.pk).update(patrons_notified_at=timezone.now())
    return sent
