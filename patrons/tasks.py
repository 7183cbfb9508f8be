"""django-q2 tasks of the patrons app: load, call the service, return a count."""

from . import retention
from .sessions import scrub_stale_sessions


def nightly_expunge() -> int:
    try:
        return retention.expunge(trigger="nightly").total
    except retention.ExpungeBusy:
        return 0  # another worker is running it


def forget_idle_sessions() -> int:
    """Every few minutes: remove desk state past its idle time from stored sessions."""
    return scrub_stale_sessions()


def send_pin_reset(patron_id: int, origin: str) -> int:
    """Email a PIN reset link (queued by `pins.pin_reset_request`; 0: nothing matched)."""
    from .pins import pin_reset_send

    return pin_reset_send(patron_id=patron_id, origin=origin)
