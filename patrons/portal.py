"""The patron realm: card + PIN sign-in, separate from staff accounts.

Patrons are not Django users. A signed-in patron is a `patron_id` in the session, with the
time of sign-in (absolute timeout) and of the last request (idle timeout). A session that
belongs to a staff user is never a patron session, and a patron session holds no user, so
it cannot open the admin.
"""

from __future__ import annotations

import datetime
from functools import wraps
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_login_failed
from django.db.models import Q
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from core.client import lockout_address
from core.hashers import waste_time
from patrons.models import Card, Patron
from patrons.pin_attempts import card_key
from patrons.pins import pin_rehash
from patrons.services import patron_touch
from privacy.sessions import SESSION_PATRON

SESSION_SINCE = "calumet_patron_since"
SESSION_SEEN = "calumet_patron_seen"
PORTAL_PREFIX = "/portal/"
NOT_ACCEPTED = _("Card number or PIN not accepted.")


def axes_username(request, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: staff user names as they are, card numbers hashed."""
    credentials = credentials or {}
    if "card_number" in credentials:
        return card_key(credentials["card_number"])
    if "username" in credentials:
        return credentials["username"]
    data = getattr(request, "POST", {}) or {}
    if "card_number" in data:
        return card_key(data.get("card_number", ""))
    return data.get("username")


def authenticate_card(request, *, card_number: str, pin: str) -> Patron | None:
    """The patron for a valid card and PIN, or None. One answer for every failure, so the
    form cannot tell which cards exist; each failure counts towards the lockout."""
    number = "".join((card_number or "").split())
    card = (
        Card.objects.select_related("patron")
        .filter(number=number, status=Card.Status.ACTIVE)
        .first()
        if number.isdigit() and len(number) == 14
        else None
    )
    patron = card.patron if card else None
    valid = (
        patron is not None
        and patron.status == Patron.Status.ACTIVE
        and patron.card_expires_on >= timezone.localdate()
    )
    # Always check a PIN, so an unknown card takes as long as a wrong PIN.
    pin_ok = patron.check_pin(pin) if patron else _dummy_check(pin)
    if valid and pin_ok:
        pin_rehash(patron=patron, pin=pin)
        return patron
    user_login_failed.send(sender=__name__, credentials={"card_number": number}, request=request)
    return None


def _dummy_check(pin: str) -> bool:
    waste_time(pin)
    return False


def sign_in(request, patron: Patron) -> None:
    """Start a fresh patron session: a new key, nothing carried over from before."""
    request.session.flush()
    # A new CSRF token too: the next person at a shared terminal must not inherit it.
    rotate_token(request)
    now = timezone.now()
    request.session[SESSION_PATRON] = patron.pk
    request.session[SESSION_SINCE] = now.timestamp()
    request.session[SESSION_SEEN] = now.timestamp()
    request.session.set_expiry(settings.CALUMET_PORTAL_IDLE_MINUTES * 60)
    card = patron.active_card
    if card is not None:
        AxesProxyHandler.reset_attempts(username=card_key(card.number))
    patron_touch(patron=patron, now=now)


def sign_out(request) -> None:
    request.session.flush()
    rotate_token(request)


def current_patron(request) -> Patron | None:
    patron_id = request.session.get(SESSION_PATRON)
    if not patron_id or (getattr(request, "user", None) and request.user.is_authenticated):
        return None
    return Patron.objects.filter(pk=patron_id, status=Patron.Status.ACTIVE).first()


SEEN_GRANULARITY = 30  # seconds


class PortalMiddleware:
    """Idle and absolute timeouts for patron sessions; no caching of portal pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        expired = self._enforce_timeouts(request)
        # No query at all unless the session belongs to a patron.
        request.patron = current_patron(request) if SESSION_PATRON in request.session else None
        if expired and request.path.startswith(PORTAL_PREFIX):
            messages.info(request, _("You were signed out to protect your account."))
        response = self.get_response(request)
        if request.path.startswith(PORTAL_PREFIX):
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response

    def _enforce_timeouts(self, request) -> bool:
        session = request.session
        if SESSION_PATRON not in session:
            return False
        now = timezone.now().timestamp()
        since = session.get(SESSION_SINCE, 0)
        seen = session.get(SESSION_SEEN, 0)
        idle = settings.CALUMET_PORTAL_IDLE_MINUTES * 60
        longest = settings.CALUMET_PORTAL_MAX_MINUTES * 60
        if now - seen > idle or now - since > longest:
            session.flush()
            return True
        # Saving the session costs a write per page; the last activity is recorded when
        # SEEN_GRANULARITY seconds have passed (the idle timeout can only come that much
        # early, never late).
        if now - seen >= SEEN_GRANULARITY:
            session[SESSION_SEEN] = now
            session.set_expiry(int(min(idle, longest - (now - since))) or 1)
        return False


def patron_required(view):
    """Portal pages for a signed-in patron; everyone else goes to the sign-in page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(reverse("portal:staff_refused"))
        if request.patron is None:
            login = reverse("portal:login")
            if request.method == "GET":
                return redirect(f"{login}?{urlencode({'next': request.path})}")
            return redirect(login)
        if request.patron.pin_must_change and view.__name__ != "pin_change_view":
            messages.info(request, _("Choose your own PIN before you go on."))
            return redirect(reverse("portal:pin"))
        return view(request, *args, **kwargs)

    return wrapper


def session_ends_at(request) -> datetime.datetime | None:
    since = request.session.get(SESSION_SINCE)
    if not since:
        return None
    return datetime.datetime.fromtimestamp(since, tz=datetime.UTC) + datetime.timedelta(
        minutes=settings.CALUMET_PORTAL_MAX_MINUTES
    )


def lockout_response(request, response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a page in the site's layout that says when to try again."""
    cool_off = get_cool_off(request) or datetime.timedelta(minutes=15)
    username = axes_username(request, credentials) or ""
    same_realm = (
        Q(username__startswith="card:")
        if username.startswith("card:")
        else ~Q(username__startswith="card:")
    )
    latest = (
        AccessAttempt.objects.filter(
            Q(username=username) | (Q(ip_address=lockout_address(request)) & same_realm)
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    retry_at = (latest or timezone.now()) + cool_off
    portal = request.path.startswith(PORTAL_PREFIX)
    template = "portal/locked.html" if portal else "admin/locked.html"
    return render(
        request,
        template,
        {"retry_at": retry_at, "minutes": int(cool_off.total_seconds() // 60)},
        status=429,
    )
