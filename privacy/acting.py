"""Who a service acts for, so the audit log can say so wherever the service is called.

In a staff request django-auditlog's middleware already names the signed-in user; a
task, a command or the SIP2 server has no request. `@service` makes every service name
its `actor` (when that is a staff user) as the author of the changes it writes, and
puts back whatever the caller had set when it returns.
"""

from __future__ import annotations

import contextlib
import functools

from auditlog.context import auditlog_value, set_actor
from django.contrib.auth import get_user_model


@contextlib.contextmanager
def acting_as(actor):
    """Audit entries written inside are by `actor` (a staff user; anyone else: unchanged)."""
    if not isinstance(actor, get_user_model()):
        yield
        return
    current = auditlog_value.get(None)
    try:
        with set_actor(actor):
            yield
    finally:
        if current is not None:
            auditlog_value.set(current)  # the caller's context (and its receiver) again


def service(func):
    """Decorate a service taking `actor=`: its writes are audited as that actor's."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with acting_as(kwargs.get("actor")):
            return func(*args, **kwargs)

    return wrapper
