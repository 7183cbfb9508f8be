"""Writes of the sip2 app: terminal accounts, their secrets, and their events."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from core.hashers import hash_pin, pin_matches, waste_time
from privacy.acting import service
from sip2.models import SortBin, Terminal, TerminalEvent

PERMISSION_FIELDS = (
    "may_patron",
    "may_circulate",
    "may_checkin",
    "may_pay",
    "may_block",
    "may_hold",
    "may_update_items",
)


def new_secret() -> str:
    return secrets.token_urlsafe(24)


@service
def terminal_save(
    *, terminal: Terminal, actor, new_secret_wanted: bool = False, secret: str | None = None
) -> str | None:
    """Create or update a terminal account. A new account always gets a generated
    secret, returned once (only its hash is kept); so does an existing one on request.
    `secret` sets a given one instead (the demo library's published secret)."""
    with transaction.atomic():
        given, secret = secret, None
        if given or terminal.pk is None or new_secret_wanted or not terminal.secret_hash:
            secret = given or new_secret()
            terminal.secret_hash = hash_pin(secret)
            terminal.secret_set_at = timezone.now()
        terminal.full_clean()
        terminal.save()
        return secret


@service
def terminal_delete(*, terminal: Terminal, actor) -> None:
    """Delete a terminal account: its connections must sign in again, and refused; its
    events stay, without it."""
    terminal.delete()


def terminal_authenticate(*, login: str, secret: str) -> Terminal | None:
    """The enabled terminal with this login and secret, or None (same work either way)."""
    terminal = Terminal.objects.select_related("branch").filter(login=(login or "").strip()).first()
    if terminal is None:
        waste_time(secret or "")
        return None
    if not pin_matches(secret or "", terminal.secret_hash) or not terminal.enabled:
        return None
    return terminal


def terminal_reload(*, terminal: Terminal) -> Terminal | None:
    """The terminal account as the library administrator has left it (None if deleted),
    read again for every message of a connection signed in as `terminal`, so that a
    change to what it may send applies to the next message."""
    return Terminal.objects.select_related("branch").filter(pk=terminal.pk).first()


def terminal_revoked(*, signed_in: Terminal, now: Terminal | None) -> bool:
    """Whether a connection signed in as `signed_in` must sign in again: the account was
    deleted, switched off or given a new secret since."""
    return now is None or not now.enabled or now.secret_set_at != signed_in.secret_set_at


def event_record(
    *, kind: str, terminal_id: int | None = None, code: str = "", address: str | None = None
) -> None:
    TerminalEvent.objects.create(
        kind=kind, terminal_id=terminal_id, message_code=(code or "")[:2], address=address
    )


@service
def sort_bin_save(*, sort_bin: SortBin, actor) -> SortBin:
    """Create or change a sort bin rule (the admin's form has checked it; the database
    constraints check it again)."""
    with transaction.atomic():
        sort_bin.bin = (sort_bin.bin or "").strip()
        sort_bin.full_clean()
        sort_bin.save()
        return sort_bin


@service
def sort_bin_delete(*, sort_bin: SortBin, actor) -> None:
    sort_bin.delete()


def sort_bin_for(
    *, branch_id: int, route: str, item_type: str, destination_id: int | None = None
) -> str:
    """The bin of `branch_id`'s sorter for a copy of `item_type` that goes `route`
    (`SortBin.Route`) and, in transit, to `destination_id`; "" when no rule matches."""
    best = None
    for rule in SortBin.objects.filter(branch_id=branch_id):
        if rule.route not in ("", route) or rule.item_type not in ("", item_type):
            continue
        if rule.destination_id is not None and (
            route != SortBin.Route.TRANSIT or rule.destination_id != destination_id
        ):
            continue
        if best is None or rule.score() > best.score():
            best = rule
    return best.bin if best is not None else ""
