"""What SIP2 answers may say about a patron, and the PIN check.

The PIN check and its lockout are the portal's (`patrons.portal`): the same hashed card
key in django-axes, so five wrong PINs at a kiosk lock the card on the portal too, and
the other way round. Answers never carry an address, email, phone or birth date, and
the name only as `CALUMET_SIP2_PATRON_NAME` allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from circulation.selectors import library_policy, loan_limit_for
from core.refusals import Refused
from patrons.models import Card, Patron
from patrons.pin_attempts import card_key
from patrons.portal import authenticate_card
from patrons.selectors import blocks_in_force, card_resolve

SIP2_PATH = "/sip2"


def card_number(value: str) -> str:
    return "".join((value or "").split())[:32]


def lockout_request(address: str | None, terminal_id: int | None) -> HttpRequest:
    """django-axes works on a request: this one carries the terminal's address."""
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = SIP2_PATH
    request.META["REMOTE_ADDR"] = address or "127.0.0.1"
    request.META["PATH_INFO"] = SIP2_PATH
    request.META["HTTP_USER_AGENT"] = f"SIP2 terminal {terminal_id or '-'}"
    return request


@dataclass
class PinResult:
    patron: Patron | None
    locked: bool = False


def pin_check(*, number: str, pin: str, address: str | None, terminal_id: int | None) -> PinResult:
    """The portal's card + PIN check, with its lockout. A success clears the card's
    failed attempts, as a portal sign-in does."""
    number = card_number(number)
    request = lockout_request(address, terminal_id)
    credentials = {"card_number": number}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return PinResult(None, locked=True)
    patron = authenticate_card(request, card_number=number, pin=pin or "")
    if getattr(request, "axes_locked_out", False):
        return PinResult(None, locked=True)
    if patron is not None:
        AxesProxyHandler.reset_attempts(username=card_key(number))
    return PinResult(patron)


def valid_card(number: str) -> Card | None:
    """The active, unexpired card (what the desk accepts), or None."""
    try:
        return card_resolve(card_number=card_number(number))
    except Refused:
        return None


def any_card(number: str) -> Card | None:
    number = card_number(number)
    if not number:
        return None
    return Card.objects.select_related("patron").filter(number=number).first()


def display_name(patron: Patron | None) -> str:
    if patron is None:
        return ""
    style = settings.CALUMET_SIP2_PATRON_NAME
    if style == "full":
        return patron.full_name
    if style == "initial":
        last = (patron.last_name or "").strip()
        return f"{patron.first_name} {last[:1]}.".strip() if last else patron.first_name
    return ""


def status_flags(
    *, card: Card | None, patron: Patron | None, balance, open_loans: int, limit: int | None = None
) -> str:
    """The 14 patron-status flags ("Y" = denied / too many), spaces where not known.
    `limit`: the patron's loan limit when the caller has it (looked up otherwise)."""
    flags = [" "] * 14
    if card is None or patron is None:
        flags[0] = flags[1] = flags[3] = "Y"
        return "".join(flags)
    now = timezone.now()
    blocked = bool(blocks_in_force(patron=patron, now=now))
    expired = (
        card.status != Card.Status.ACTIVE
        or patron.status != Patron.Status.ACTIVE
        or patron.card_expires_on < timezone.localdate(now)
    )
    over_limit = balance is not None and balance > library_policy().max_balance
    too_many = open_loans >= (limit if limit is not None else loan_limit_for(patron=patron))
    if blocked or expired or over_limit or too_many:
        flags[0] = "Y"  # charge privileges denied
    if blocked or expired:
        flags[1] = flags[3] = "Y"  # renewal, hold privileges denied
    if card.status == Card.Status.LOST:
        flags[4] = "Y"
    if too_many:
        flags[5] = "Y"
    if over_limit:
        flags[10] = "Y"
    return "".join(flags)


def masked(number: str) -> str:
    return f"…{number[-4:]}" if number else ""
