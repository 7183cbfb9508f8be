"""Refusals of the staff app's services (the Roles page)."""

from core.refusals import RefusalCode, Refused


class RolesRefused(Refused):
    """A change of what each role may do, refused with its reason."""


class StaffRefusal(RefusalCode, exception=RolesRefused):
    """Every way the staff services refuse: the code and its message."""

    ROLE = "role", "Choose among the library's roles."
    PERMISSION = "permission", "Choose among the permissions listed on the page."
    LOCKED_OUT = "locked_out"
