"""Refusals of disclosure services."""

from patrons.exceptions import Refused


class DisclosureRefused(Refused):
    """A disclosure step refused, with the reason."""
