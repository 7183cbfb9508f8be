"""Which handler answers a request: sign-in first, then a terminal still signed in, allowed
that message and naming our institution; the patron messages are in `sip2.handlers`, the
circulation ones in `sip2.circulation_messages`."""

from __future__ import annotations

from sip2 import circulation_messages, fees_and_holds, handlers, selectors
from sip2.codec import UNSUPPORTED, Message
from sip2.handlers import Session
from sip2.models import TerminalEvent
from sip2.refusals import institution, refusal

NEEDS_INSTITUTION = frozenset(
    {"23", "63", "11", "09", "17", "29", "65", "35", "37", "01", "15", "19", "25"}
)


def handle(session: Session, request: Message) -> Message:
    """The answer to one request (already parsed and checked for errors)."""
    code = request.command
    if code == "93":
        return handlers.login(session, request)
    if session.terminal is None:
        session.event(TerminalEvent.Kind.NOT_SIGNED_IN, code)
        return refusal(request, "Sign in first.")
    fresh = selectors.terminal_reload(terminal=session.terminal)
    if selectors.terminal_revoked(signed_in=session.terminal, now=fresh):
        # Deleted, switched off or given a new secret since it signed in: this connection
        # does nothing more, and is closed after the answer.
        session.terminal = fresh  # (None once deleted: the event then names no terminal)
        session.event(TerminalEvent.Kind.SIGNED_OUT, code)
        session.terminal = None
        session.verified(None)
        session.close = True
        return refusal(request, "This terminal is signed out. Sign in again.")
    session.terminal = fresh
    if code in UNSUPPORTED:
        session.event(TerminalEvent.Kind.UNSUPPORTED, code)
        return refusal(request, "The library system does not do this.")
    if code not in session.terminal.allowed_commands():
        session.event(TerminalEvent.Kind.NOT_ALLOWED, code)
        return refusal(request, "This terminal may not do that.")
    if code in NEEDS_INSTITUTION and request.get("AO").strip() != institution():
        session.event(TerminalEvent.Kind.INSTITUTION, code)
        return refusal(request, "Unknown institution.")
    handler = (
        handlers.HANDLERS.get(code)
        or circulation_messages.HANDLERS.get(code)
        or fees_and_holds.HANDLERS.get(code)
    )
    if handler is None:
        return refusal(request)
    return handler(session, request)
