"""Refusals of services (shown to staff or patrons as they are), and how a staff page shows
one: `attempt` for a page, `attempt_each` for an admin action."""

from __future__ import annotations

from enum import StrEnum

from django.contrib import messages
from django.core.exceptions import PermissionDenied


class RefusalCode(StrEnum):
    """The codes of an app's refusals, each with its message: an app's enum (say
    `CirculationRefusal`) names every way its services refuse, so a code cannot be
    misspelt. A member equals its code's text (codes are compared and stored as text).

    A member is ``NAME = "code", "message"``; a message with values has named fields
    (``"Hold limit reached (%(limit)s holds)."``), given to `refuse`. A member with no
    message is raised with one: ``Refused("...", code=Member)``. The enum names the
    exception its refusals are (``class CirculationRefusal(RefusalCode,
    exception=CirculationRefused)``)."""

    def __new__(cls, value: str, message: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.message = message
        return member

    def __init_subclass__(cls, *, exception: type[Refused] | None = None, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._exception = exception

    def refuse(self, message: str | None = None, **fields) -> Refused:
        """The refusal of this code: its message (or the one given), with `fields` put in
        its named places. `raise CirculationRefusal.HOLD_LIMIT.refuse(limit=5)`."""
        text = str(message if message is not None else self.message)
        if fields:
            text = text % fields
        return (self._exception or Refused)(text, code=self)


class Refused(Exception):
    """An operation refused for a reason staff or the patron can act on.

    The message is shown as it is (admin `message_user`, a form error, a portal notice),
    so it never holds a patron's name, a card number or a title. `Refused(Member)` takes
    the member's message; `Refused("...", code=Member)` another. A code is always a member
    of an app's `RefusalCode` enum (a plain string is a `TypeError`); with none, the code
    is "refused".
    """

    code: str = "refused"

    def __init__(self, message, *, code: RefusalCode | None = None) -> None:
        if isinstance(message, RefusalCode):
            code = code or message
            message = message.message
        if code is not None and not isinstance(code, RefusalCode):
            raise TypeError(f"A refusal's code is a member of a RefusalCode enum, not {code!r}.")
        message = str(message)  # a lazy translation, in the language of this request
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


def attempt(request, call, *, success: str | None = None):
    """Run a service call for a staff page: a refusal (or a permission the user lacks)
    becomes an error message with its reason, and nothing changed; otherwise the success
    message, if any. Returns the call's result, or None when refused."""
    try:
        result = call()
    except Refused as refusal:
        messages.error(request, refusal.message)
        return None
    except PermissionDenied as denied:
        messages.error(request, str(denied) or "You may not do that.")
        return None
    if success:
        messages.success(request, success)
    return result if result is not None else True


def attempt_each(modeladmin, request, queryset, call, done: str) -> None:
    """An admin action: call a service for each selected record; report how many went
    through and each refusal with its reason (a missing permission stops the action)."""
    succeeded = 0
    for obj in queryset:
        try:
            call(obj)
        except Refused as refusal:
            modeladmin.message_user(request, f"{obj}: {refusal.message}", messages.WARNING)
        except PermissionDenied as denied:
            modeladmin.message_user(request, str(denied), messages.ERROR)
            return
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)
