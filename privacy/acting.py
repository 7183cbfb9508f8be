"""Who a service acts for, so the audit log can say so wherever the service is called.

In a staff request django-auditlog's middleware already names the signed-in user; a
task, a command or the SIP2 server has no request. `@service` makes every service name
its `actor` (when that is a staff user) as the author of the changes it writes, and
puts back whatever the caller had set when it returns.

A service names its actor as a keyword-only argument, and every call names it
(`actor=request.user`, `actor=patron`, or `actor=None` for the system): a function whose
`actor` may be passed by position is refused when it is decorated, a call without
`actor=` when it is made (TypeError), so no write goes unattributed by mistake. Reads are
selectors, never services.
"""

from __future__ import annotations

import contextlib
import functools
import inspect

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
    """Decorate a service taking a keyword-only `actor`: its writes are audited as that
    actor's. Every call must name the actor (`actor=None` for the system)."""
    name = func.__qualname__
    parameter = inspect.signature(func).parameters.get("actor")
    if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
        raise TypeError(
            f"@service {name}() must take `actor` as a keyword-only argument "
            "(after `*`); a read is a selector, not a service."
        )

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if "actor" not in kwargs:
            raise TypeError(
                f"{name}() needs actor=: the staff user, the patron, or None for the system."
            )
        with acting_as(kwargs["actor"]):
            return func(*args, **kwargs)

    return wrapper
