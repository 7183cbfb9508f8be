"""django-q2 tasks of the patrons app: load, call the service, return a count."""

from patrons.pins import pin_reset_send


def send_pin_reset(patron_id: int, origin: str) -> int:
    """Email a PIN reset link (queued by `pins.pin_reset_request`; 0: nothing matched)."""
    return pin_reset_send(patron_id=patron_id, origin=origin)
