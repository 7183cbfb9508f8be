"""Reads of the sip2 app: a terminal signing in (its login and secret), the account as it
is now for a connection already signed in, and the sorter bin a checked-in copy goes to."""

from __future__ import annotations

from core.hashers import pin_matches, waste_time
from sip2.models import SortBin, Terminal


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
