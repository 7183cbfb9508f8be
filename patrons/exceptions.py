"""Refusals of the patrons' services."""

from core.refusals import Refused


class CardRefused(Refused):
    code = "card"
