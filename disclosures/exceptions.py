"""Refusals of disclosure services."""

from core.refusals import RefusalCode, Refused


class DisclosureRefused(Refused):
    """A disclosure step refused, with the reason."""


class DisclosureRefusal(RefusalCode, exception=DisclosureRefused):
    """Every way the disclosure services refuse: the code, and its message (with named
    fields where it takes values; a patron's, translated when raised). A member with no
    message is raised with one: `Refused(message, code=...)`."""

    BASIS = "basis", "Choose the legal basis that was presented."
    KINDS = "kinds", "Name at least one kind of record."
    EMERGENCY_SCOPE = (
        "emergency_scope",
        "An emergency request may identify a person only: choose the registration "
        "(identity fields), never circulation or use of the library.",
    )
    NON_DISCLOSURE_ORDER = (
        "non_disclosure_order",
        "Say whether a non-disclosure order came with the request (an order forbidding "
        "the library to tell anyone about it): yes or no.",
    )
    PERIOD = "period", "The end of the period is before its start."
    CARDS = "cards", "Give the card number of each patron named."
    WHO = "who", "Record who made the request and for which agency."
    STATUS = "status", "Only a request waiting for a decision can be completed."
    PERSON_SOUGHT = "person_sought", "Choose suspect, victim or witness."
    EMPTY = "empty", "Add at least one of the missing details."
    REASON = "reason", "Write the reason for the decision."
