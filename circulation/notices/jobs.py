"""Courtesy (due soon) and card-expiry notices, the log of every notice sent, and the
patron's choice of optional notices. Texts are templates
(`circulation/templates/circulation/notices/`); titles only with
`CALUMET_NOTICES_INCLUDE_TITLES`."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from circulation.models import Hold, Loan
from circulation.models.notices import NoticeKind, NoticePreference, NoticeSent
from circulation.models.policy import library_policy
from circulation.notices.outbox import notice_key, send_once
from patrons.models import Patron
from privacy.acting import service


def _midnight(now: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


@service
def notice_record(
    *, patron_id: int, kind: str, ok: bool, actor, now=None, holds=(), loans=()
) -> None:
    """A notice went out (or failed): into the notice log, and on the holds it announced
    (notified) or the loans it reminded of (one more overdue notice), in one transaction.
    The notice jobs are the system: `actor=None`."""
    now = now or timezone.now()
    with transaction.atomic():
        NoticeSent.objects.create(patron_id=patron_id, day=_midnight(now), kind=kind, ok=ok)
        if holds:
            Hold.objects.filter(pk__in=[hold.pk for hold in holds]).update(notified_at=now)
        if loans:
            Loan.objects.filter(pk__in=[loan.pk for loan in loans]).update(
                overdue_notices_sent=F("overdue_notices_sent") + 1, last_overdue_notice_at=now
            )


def send_logged(*, patron, kind: str, subject: str, template: str, context: dict, now) -> bool:
    """Send one notice from a template, in the patron's language, and log whether it went
    out (never what it said). `subject` is the English text (marked with gettext_noop)."""
    with translation.override(patron.notice_language):
        body = render_to_string(
            template, {**context, "patron": patron, "library": settings.CALUMET_LIBRARY_NAME}
        )
        subject = gettext(subject)

    def record() -> None:
        notice_record(patron_id=patron.pk, kind=kind, ok=True, actor=None, now=now)

    try:
        # One per patron, kind and day: a rerun of the day's batch sends nothing twice.
        return send_once(
            key=notice_key(kind, patron.pk, timezone.localdate(now)),
            subject=subject,
            body=body,
            to=patron.email,
            record=record,
        )
    except Exception:
        notice_record(patron_id=patron.pk, kind=kind, ok=False, actor=None, now=now)
        return False


def _opted_out(field: str) -> set[int]:
    return set(
        NoticePreference.objects.filter(**{field: False}).values_list("patron_id", flat=True)
    )


def send_courtesy_notices(now: datetime.datetime | None = None) -> int:
    """Patrons with loans due in the library policy's courtesy notice days: one email each."""
    now = now or timezone.now()
    day = timezone.localdate(now) + datetime.timedelta(days=library_policy().courtesy_notice_days)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    loans = (
        Loan.objects.filter(
            returned_at__isnull=True,
            due_at__gte=start,
            due_at__lt=start + datetime.timedelta(days=1),
        )
        .exclude(patron__email="")
        .exclude(patron_id__in=_opted_out("courtesy"))
        .select_related("patron", "item__title")
        .order_by("patron_id", "due_at")
    )
    by_patron: dict[int, list[Loan]] = {}
    for loan in loans:
        by_patron.setdefault(loan.patron_id, []).append(loan)
    sent = 0
    for patron_loans in by_patron.values():
        sent += send_logged(
            patron=patron_loans[0].patron,
            kind=NoticeKind.COURTESY,
            subject=gettext_noop("Items due soon on your library card"),
            template="circulation/notices/courtesy.txt",
            context={
                "loans": patron_loans,
                "due": day,
                "titles": settings.CALUMET_NOTICES_INCLUDE_TITLES,
            },
            now=now,
        )
    return sent


def send_card_expiry_notices(now: datetime.datetime | None = None) -> int:
    """Patrons whose card expires in the library policy's card-expiry notice days."""
    now = now or timezone.now()
    day = timezone.localdate(now) + datetime.timedelta(
        days=library_policy().card_expiry_notice_days
    )
    patrons = (
        Patron.objects.filter(card_expires_on=day)
        .exclude(email="")
        .exclude(pk__in=_opted_out("card_expiry"))
    )
    sent = 0
    for patron in patrons:
        sent += send_logged(
            patron=patron,
            kind=NoticeKind.CARD_EXPIRY,
            subject=gettext_noop("Your library card expires soon"),
            template="circulation/notices/card_expiry.txt",
            context={"expires": day},
            now=now,
        )
    return sent


@service
def notice_preferences_set(*, patron, courtesy: bool, card_expiry: bool, actor) -> NoticePreference:
    """The patron's choice of optional notices (a service: the portal calls it)."""
    with transaction.atomic():
        choice, _ = NoticePreference.objects.update_or_create(
            patron=patron, defaults={"courtesy": courtesy, "card_expiry": card_expiry}
        )
        return choice


def notice_preferences_for(*, patron) -> NoticePreference:
    return NoticePreference.objects.filter(patron=patron).first() or NoticePreference(patron=patron)
