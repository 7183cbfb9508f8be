"""Refusals of circulation services (their message is shown as it is)."""

from core.refusals import Refused


class CirculationRefused(Refused):
    """A desk or portal operation refused, with the reason (never a name or a title)."""
