"""Refusals of disclosure services."""

from core.refusals import Refused


class DisclosureRefused(Refused):
    """A disclosure step refused, with the reason."""
