"""Wrong PINs typed at the desk count towards the card's lockout, as in the portal.

The portal's sign-in counts failures with django-axes under the card's keyed hash
(`patrons.portal.card_key`), by card and by address. The desk counts under the same card
key, so the two share one limit per card (`CALUMET_LOCKOUT_FAILURES` within
`CALUMET_LOCKOUT_MINUTES`), but with no address: patrons mistyping at a staff
workstation must not lock the staff out of their own sign-in. Nothing here stores a card
number or a PIN; the expunge deletes old attempts with the portal's.

Requests for a PIN reset link ("Forgot your PIN?") are counted here too, in the same
table and window: per card (`CALUMET_PIN_RESET_CARD_LIMIT`, under a keyed hash of its
own, so that they never lock the card's sign-in) and per client address
(`CALUMET_PIN_RESET_ADDRESS_LIMIT`, the address as `core.client.lockout_address`
counts it). They are patron attempts (`card:` names), so they add to the address's count
of the sign-in lockout, and an address locked for sign-ins cannot ask for links either.
"""

from __future__ import annotations

import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac

DESK_AGENT = "calumet desk"
SIGNUP_AGENT = "calumet sign-up"
SIGNUP_KEY = "card:signup"
RESET_AGENT = "calumet pin reset"


def card_key(card_number: str) -> str:
    """What django-axes records for a card: a keyed hash, never the number itself."""
    digest = salted_hmac("calumet.portal.card", (card_number or "").strip()).hexdigest()
    return f"card:{digest[:24]}"


def cool_off() -> datetime.timedelta:
    """How long failed attempts count (django-axes' cool-off, a quarter hour unset)."""
    setting = settings.AXES_COOLOFF_TIME
    if isinstance(setting, datetime.timedelta):
        return setting
    return datetime.timedelta(hours=setting if setting is not None else 0.25)


def pin_failures(card_number: str, now: datetime.datetime | None = None) -> int:
    """Wrong PINs for this card (desk and portal) within the lockout window."""
    now = now or timezone.now()
    total = AccessAttempt.objects.filter(
        username=card_key(card_number), attempt_time__gte=now - cool_off()
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def pin_locked(card_number: str, now: datetime.datetime | None = None) -> bool:
    return pin_failures(card_number, now) >= settings.AXES_FAILURE_LIMIT


def pin_failed(card_number: str, now: datetime.datetime | None = None) -> None:
    """Count one wrong PIN typed at the desk for this card."""
    _count(card_key(card_number), None, DESK_AGENT, "desk", now)


def _count(username: str, address: str | None, agent: str, path: str, now) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        attempt, created = AccessAttempt.objects.select_for_update().get_or_create(
            username=username,
            ip_address=address,
            user_agent=agent,
            defaults={
                "get_data": "",
                "post_data": "",
                "http_accept": "",
                "path_info": path,
                "failures_since_start": 1,
            },
        )
        if not created:
            if attempt.attempt_time < now - cool_off():
                attempt.failures_since_start = 1  # the old count has expired
            else:
                attempt.failures_since_start = F("failures_since_start") + 1
        attempt.attempt_time = now
        attempt.save()


def pin_succeeded(card_number: str) -> None:
    """The right PIN: the card's count starts again (as a portal sign-in resets it)."""
    AccessAttempt.objects.filter(username=card_key(card_number)).delete()


def reset_key(card_number: str) -> str:
    """The reset requests' own name for a card (a patron one: `card:`), apart from the
    card's sign-in failures."""
    return "card:reset:" + card_key(card_number).removeprefix("card:")


def _sum(queryset) -> int:
    return queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0


def pin_reset_allowed(
    card_number: str, address: str | None, now: datetime.datetime | None = None
) -> bool:
    """May this address ask for a reset link for this card now? No once the card had
    CALUMET_PIN_RESET_CARD_LIMIT requests within the window, the address
    CALUMET_PIN_RESET_ADDRESS_LIMIT, or the address is locked for patron sign-ins."""
    now = now or timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off())
    if _sum(recent.filter(username=reset_key(card_number))) >= (
        settings.CALUMET_PIN_RESET_CARD_LIMIT
    ):
        return False
    if not address:
        return True
    patrons_here = recent.filter(ip_address=address, username__startswith="card:")
    resets_here = patrons_here.filter(username__startswith="card:reset:")
    if _sum(resets_here) >= settings.CALUMET_PIN_RESET_ADDRESS_LIMIT:
        return False
    return _sum(patrons_here) < settings.CALUMET_LOCKOUT_ADDRESS_FAILURES


def pin_reset_counted(
    card_number: str, address: str | None, now: datetime.datetime | None = None
) -> None:
    """Count one accepted request for a reset link (whether or not anything matched)."""
    _count(reset_key(card_number), address, RESET_AGENT, "pin reset", now)


def signup_allowed(address: str | None, now: datetime.datetime | None = None) -> bool:
    """May this address send an online sign-up now? No once it sent
    CALUMET_SIGNUP_ADDRESS_LIMIT within the lockout window, or it is locked for patron
    sign-ins. Sign-ups are counted like reset requests (a patron realm `card:` name, so
    a flood of them also counts towards the address's sign-in lockout)."""
    if not address:
        return True
    now = now or timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off())
    patrons_here = recent.filter(ip_address=address, username__startswith="card:")
    if _sum(patrons_here.filter(username=SIGNUP_KEY)) >= settings.CALUMET_SIGNUP_ADDRESS_LIMIT:
        return False
    return _sum(patrons_here) < settings.CALUMET_LOCKOUT_ADDRESS_FAILURES


def signup_counted(address: str | None, now: datetime.datetime | None = None) -> None:
    """Count one sign-up sent from this address (accepted or not)."""
    _count(SIGNUP_KEY, address, SIGNUP_AGENT, "sign-up", now)
