"""The sign-in lockout: django-axes, counting per account and separately per address.

Failures are counted per account (a patron's card, as its keyed hash `card:...`, or a
staff user name): `AXES_FAILURE_LIMIT` (5) within the cool-off locks that account. They
are also counted per client address, with a much higher limit
(`CALUMET_LOCKOUT_ADDRESS_FAILURES`): a branch's public network or a proxy puts many
honest people behind one address, and only a machine guessing PINs reaches it.

The two realms are kept apart: patron failures (cards) never count towards a staff
sign-in from the same address, and staff failures never towards patrons. The address is
always `core.client.lockout_address` (AXES_CLIENT_IP_CALLABLE): the client's address,
an IPv6 one as its network (`CALUMET_LOCKOUT_IPV6_PREFIX`, a /64), so that a machine
taking a new address of its /64 for every attempt is counted as one.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

CARD_PREFIX = "card:"


def _realm(queryset, username: str | None):
    """Only attempts of the same realm: cards with cards, staff with staff."""
    if (username or "").startswith(CARD_PREFIX):
        return queryset.filter(username__startswith=CARD_PREFIX)
    return queryset.exclude(username__startswith=CARD_PREFIX)


def _total(queryset) -> int:
    return queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0


def account_failures(request, username: str | None) -> int:
    if not username:
        return 0
    threshold = get_cool_off_threshold(request)
    return _total(AccessAttempt.objects.filter(username=username, attempt_time__gte=threshold))


def address_failures(request, username: str | None, address: str | None) -> int:
    if not address:
        return 0
    threshold = get_cool_off_threshold(request)
    attempts = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=threshold)
    return _total(_realm(attempts, username))


class CalumetAxesHandler(AxesDatabaseHandler):
    """axes compares `get_failures` with AXES_FAILURE_LIMIT. We answer the account's count,
    or the full limit once the address has reached its own (higher) limit."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        failures = account_failures(request, username)
        limit = settings.CALUMET_LOCKOUT_ADDRESS_FAILURES
        if address_failures(request, username, address) >= limit:
            return max(failures, settings.AXES_FAILURE_LIMIT)
        return failures
