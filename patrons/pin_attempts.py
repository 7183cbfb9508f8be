"""Wrong PINs typed at the desk count towards the card's lockout, as in the portal.

The portal's sign-in counts failures with django-axes under the card's keyed hash
(`patrons.portal.card_key`), by card and by address. The desk counts under the same card
key, so the two share one limit per card (`CALUMET_LOCKOUT_FAILURES` within
`CALUMET_LOCKOUT_MINUTES`), but with no address: patrons mistyping at a staff
workstation must not lock the staff out of their own sign-in. Nothing here stores a card
number or a PIN; the expunge deletes old attempts with the portal's.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from patrons.portal import card_key

DESK_AGENT = "calumet desk"


def _cool_off() -> datetime.timedelta:
    cool_off = settings.AXES_COOLOFF_TIME
    if isinstance(cool_off, datetime.timedelta):
        return cool_off
    return datetime.timedelta(hours=cool_off if cool_off is not None else 0.25)


def pin_failures(card_number: str, now: datetime.datetime | None = None) -> int:
    """Wrong PINs for this card (desk and portal) within the lockout window."""
    from axes.models import AccessAttempt

    now = now or timezone.now()
    total = AccessAttempt.objects.filter(
        username=card_key(card_number), attempt_time__gte=now - _cool_off()
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def pin_locked(card_number: str, now: datetime.datetime | None = None) -> bool:
    return pin_failures(card_number, now) >= settings.AXES_FAILURE_LIMIT


def pin_failed(card_number: str, now: datetime.datetime | None = None) -> None:
    """Count one wrong PIN typed at the desk for this card."""
    from axes.models import AccessAttempt

    now = now or timezone.now()
    with transaction.atomic():
        attempt, created = AccessAttempt.objects.select_for_update().get_or_create(
            username=card_key(card_number),
            ip_address=None,
            user_agent=DESK_AGENT,
            defaults={
                "get_data": "",
                "post_data": "",
                "http_accept": "",
                "path_info": "desk",
                "failures_since_start": 1,
            },
        )
        if not created:
            if attempt.attempt_time < now - _cool_off():
                attempt.failures_since_start = 1  # the old count has expired
            else:
                attempt.failures_since_start = F("failures_since_start") + 1
        attempt.attempt_time = now
        attempt.save()


def pin_succeeded(card_number: str) -> None:
    """The right PIN: the card's count starts again (as a portal sign-in resets it)."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.filter(username=card_key(card_number)).delete()
