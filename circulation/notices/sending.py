"""Hold-ready and overdue notices, sent by django-q2 tasks.

An email is a copy of a patron record outside the library, so notices say as little as
they can: no titles unless `CALUMET_NOTICES_INCLUDE_TITLES` is on. Task arguments are
record ids only, because django-q2 stores arguments and results in its tables.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_q import tasks as django_q_tasks

from circulation.models import Hold, Loan
from circulation.notices.jobs import notice_record
from circulation.notices.outbox import notice_key, prune, send_once

logger = logging.getLogger(__name__)

OVERDUE_NOTICE_INTERVAL = datetime.timedelta(days=7)
OVERDUE_NOTICE_MAX = 3


def queue_hold_ready_notice(*, hold_id: int) -> None:
    """After the current transaction commits, send the hold-ready notice in the worker."""

    def enqueue() -> None:
        try:
            django_q_tasks.async_task(
                "circulation.notices.sending.send_hold_ready_notice", hold_id, group="notices"
            )
        except Exception:  # the broker (Redis) is down: the desk's work is done regardless
            logger.warning(
                "The task queue is unavailable; the hold-ready notice waits for the next sweep."
            )

    transaction.on_commit(enqueue)


def _sign_off() -> str:
    return "\n\n" + _(
        "Sign in to your library account to see the details.\n\n"
        "%(library)s\n"
        "This message was sent because you have an email address on file with the library."
    ) % {"library": settings.CALUMET_LIBRARY_NAME}


def send_hold_ready_notice(hold_id: int) -> int:
    """Email the patron that their hold is on the shelf, in the patron's language.
    Returns the number of emails."""
    hold = (
        Hold.objects.select_related("patron", "pickup_branch", "title")
        .filter(pk=hold_id, status=Hold.Status.WAITING, notified_at__isnull=True)
        .first()
    )
    if hold is None or not hold.patron.email:
        return 0
    deadline = timezone.localtime(hold.pickup_by)
    with translation.override(hold.patron.notice_language):
        if settings.CALUMET_NOTICES_INCLUDE_TITLES:
            ready = _(
                "“%(title)s” you placed on hold is waiting for you at %(branch)s. "
                "Please pick it up by %(date)s."
            )
        else:
            ready = _(
                "An item you placed on hold is waiting for you at %(branch)s. "
                "Please pick it up by %(date)s."
            )
        body = (
            _("Hello %(name)s,") % {"name": hold.patron.first_name}
            + "\n\n"
            + ready
            % {
                "title": hold.title.title,
                "branch": hold.pickup_branch.name,
                "date": date_format(deadline, _("l F j")),
            }
            + _sign_off()
        )
        subject = _("Your hold is ready for pickup")

    def record() -> None:
        notice_record(
            patron_id=hold.patron_id, kind="hold_ready", ok=True, actor=None, holds=[hold]
        )

    return int(
        send_once(
            key=notice_key("hold_ready", hold.pk),
            subject=subject,
            body=body,
            to=hold.patron.email,
            record=record,
        )
    )


def send_waiting_hold_notices() -> int:
    """The sweep (every few minutes): hold-ready notices not sent yet, such as those whose
    task could not be queued while the broker was down. Each is sent once (the outbox)."""
    waiting = Hold.objects.filter(status=Hold.Status.WAITING, notified_at__isnull=True).values_list(
        "pk", flat=True
    )
    sent = 0
    for hold_id in list(waiting):
        try:
            sent += send_hold_ready_notice(hold_id)
        except Exception:  # one address the mail server refuses holds up no other notice
            logger.warning("A hold-ready notice was not accepted by the mail server; next sweep.")
    return sent


def send_overdue_notices(now: datetime.datetime | None = None) -> int:
    """One email per patron with overdue items, at most weekly and three times a loan."""
    now = now or timezone.now()
    prune(now)
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
        with translation.override(patron.notice_language):
            lines = ""
            if settings.CALUMET_NOTICES_INCLUDE_TITLES:
                lines = "\n" + "\n".join(
                    "  - "
                    + _("%(title)s (due %(date)s)")
                    % {
                        "title": loan.item.title.title,
                        "date": date_format(timezone.localtime(loan.due_at), _("M j")),
                    }
                    for loan in loans
                )
            body = (
                _("Hello %(name)s,") % {"name": patron.first_name}
                + "\n\n"
                + ngettext(
                    "%(count)d item on your card is overdue. Please return or renew it.",
                    "%(count)d items on your card are overdue. Please return or renew them.",
                    count,
                )
                % {"count": count}
                + lines
                + _sign_off()
            )
            subject = _("Overdue items on your library card")

        def record(patron=patron, loans=loans) -> None:
            notice_record(
                patron_id=patron.pk, kind="overdue", ok=True, actor=None, now=now, loans=loans
            )

        sent += send_once(
            key=notice_key("overdue", patron.pk, timezone.localdate(now)),
            subject=subject,
            body=body,
            to=patron.email,
            record=record,
        )
    return sent
