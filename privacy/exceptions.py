"""Refusals of the privacy kernel's services (legal holds, the expunge run from its page)."""

from core.refusals import RefusalCode, Refused


class PrivacyRefusal(RefusalCode, exception=Refused):
    """Every way the privacy kernel's services refuse: the code, and its message (with named
    fields where it takes values; a patron's, translated when raised). A member with no
    message is raised with one: `Refused(message, code=...)`."""

    KIND = "kind", "Choose the kinds of record to keep, or every kind."
    REASON = "reason", "Say why the records must be kept."
    RANGE = "range", "The end of the range is before its start."
    RELEASED = "released", "This legal hold was already released."
    #: An expunge is running already (its message says since when).
    BUSY = "busy"
    #: A retention policy's days refused (the message says why).
    NOT_SAVED = "not_saved"
