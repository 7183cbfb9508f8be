"""The names of a staff member's groups (their roles), read once per request: the
navigation and the access entries of a page both need them."""

from __future__ import annotations


def group_names(user) -> frozenset[str]:
    """The user's group names, kept on the user object (one per request) after the first
    read. Not for a user whose groups change within the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    names = getattr(user, "_calumet_group_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._calumet_group_names = names
    return names
