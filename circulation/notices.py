"""Hold-ready and overdue notices, sent by django-q2 tasks.

An email is a copy of a patron record outside the library, so notices say as little as
they can: no titles unless `CALUMET_NOTICES_INCLUDE_TITLES` is on. Task arguments are
record ids only, because django-q2 stores arguments and results in its tables.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Hold, Loan

OVERDUE_NOTICE_INTERVAL = datetime.timedelta(days=7)
OVERDUE_NOTICE_MAX = 3


def queue_hold_ready_notice(*, hold_id: int) -> None:
    """After the current transaction commits, send the hold-ready notice in the worker."""

    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task("circulation.notices.send_hold_ready_notice", hold_id, group="notices")

    transaction.on_commit(enqueue)


def _sign_off() -> str:
    return (
        f"\n\nSign in to your library account to see the details.\n\n"
        f"{settings.CALUMET_LIBRARY_NAME}\n"
        "This message was sent because you have an email address on file with the library."
    )


def send_hold_ready_notice(hold_id: int) -> int:
    """Email the patron that their hold is on the shelf. Returns the number of emails."""
    hold = (
        Hold.objects.select_related("patron", "pickup_branch", "title")
        .filter(pk=hold_id, status=Hold.Status.WAITING, notified_at__isnull=True)
        .first()
    )
    if hold is None or not hold.patron.email:
        return 0
    deadline = timezone.localtime(hold.pickup_by)
    what = f"“{hold.title.title}”" if settings.CALUMET_NOTICES_INCLUDE_TITLES else "An item"
    body = (
        f"Hello {hold.patron.first_name},\n\n"
        f"{what} you placed on hold is waiting for you at {hold.pickup_branch.name}. "
        f"Please pick it up by {deadline:%A %B %d}." + _sign_off()
    )
    send_mail(
        "Your hold is ready for pickup",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [hold.patron.email],
    )
    Hold.objects.filter(pk=hold.pk).update(notified_at=timezone.now())
    from .notice_jobs import log_notice

    log_notice(patron_id=hold.patron_id, kind="hold_ready", ok=True)
    return 1


def send_overdue_notices(now: datetime.datetime | None = None) -> int:
    """One email per patron with overdue items, at most weekly and three times a loan."""
    now = now or timezone.now()
    due = (
        Loan.objects.filter(
            returned_at__isnull=True,
            due_at__lt=now,
            overdue_notices_sent__lt=OVERDUE_NOTICE_MAX,
        )
        .exclude(last_overdue_notice_at__gt=now - OVERDUE_NOTICE_INTERVAL)
        .exclude(patron__email="")
        .select_related("patron", "item__title")
        .order_by("patron_id", "due_at")
    )
    by_patron: dict[int, list[Loan]] = {}
    for loan in due:
        by_patron.setdefault(loan.patron_id, []).append(loan)
    sent = 0
    for loans in by_patron.values():
        patron = loans[0].patron
        count = len(loans)
        lines = ""
        if settings.CALUMET_NOTICES_INCLUDE_TITLES:
            lines = "\n" + "\n".join(
                f"  - {loan.item.title.title} (due {timezone.localtime(loan.due_at):%b %d})"
                for loan in loans
            )
        body = (
            f"Hello {patron.first_name},\n\n"
            f"{count} item{'s' if count != 1 else ''} on your card "
            f"{'are' if count != 1 else 'is'} overdue. Please return or renew "
            f"{'them' if count != 1 else 'it'}.{lines}" + _sign_off()
        )
        send_mail(
            "Overdue items on your library card", body, settings.DEFAULT_FROM_EMAIL, [patron.email]
        )
        from django.db.models import F

        Loan.objects.filter(pk__in=[loan.pk for loan in loans]).update(
            overdue_notices_sent=F("overdue_notices_sent") + 1, last_overdue_notice_at=now
        )
        from .notice_jobs import log_notice

        log_notice(patron_id=patron.pk, kind="overdue", ok=True, now=now)
        sent += 1
    return sent
