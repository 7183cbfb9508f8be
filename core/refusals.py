"""Refusals of services (shown to staff or patrons as they are), and how a staff page shows
one: `attempt` for a page, `attempt_each` for an admin action."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied


class Refused(Exception):
    """An operation refused for a reason staff or the patron can act on.

    The message is shown as it is (admin `message_user`, a form error, a portal notice),
    so it never holds a patron's name, a card number or a title.
    """

    code = "refused"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
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
