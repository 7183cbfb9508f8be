"""Writes of the sip2 app: terminal accounts, their secrets, and their events."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from core.hashers import hash_pin
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
