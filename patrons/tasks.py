"""django-q2 tasks of the patrons app: load, call the service, return a count."""

from patrons.pins import pin_reset_send
from patrons.signup import signup_send


def send_pin_reset(patron_id: int, origin: str) -> int:
    """Email a PIN reset link (queued by `pins.pin_reset_request`; 0: nothing matched)."""
    return pin_reset_send(patron_id=patron_id, origin=origin)


def send_signup_confirmation(signup_id: int, origin: str, repeated: bool) -> int:
    """Email an online sign-up's confirmation link, or the reminder to a repeated
    application (queued by `signup.signup_apply`)."""
    return signup_send(signup_id=signup_id, origin=origin, repeated=repeated)
