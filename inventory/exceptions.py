"""Refusals of the inventory services."""

from core.refusals import RefusalCode, Refused


class InventoryRefused(Refused):
    """An inventory step refused, with the reason."""


class InventoryRefusal(RefusalCode, exception=InventoryRefused):
    """Every way the inventory services refuse, with the message staff read."""

    CLOSED = "closed", "This inventory is closed: start a new one to scan again."
    BARCODE = (
        "barcode",
        "A barcode is 1 to 32 letters, digits, dashes or dots, with no spaces.",
    )
    JUNK_LINES = (
        "junk_lines",
        "Nothing was saved: %(count)s line(s) of the file are not barcodes (line %(lines)s). "
        "Correct the file and upload it again.",
    )
    EMPTY_FILE = "empty_file", "The file holds no barcodes. Nothing was saved."
    FILE_TOO_LARGE = (
        "file_too_large",
        "The file is larger than %(limit)s MB: split it and upload the parts.",
    )
    NOT_TEXT = (
        "not_text",
        "The file is not a text or CSV file (it is not UTF-8 text). Nothing was saved.",
    )
    RANGE = "range", "The end of the call number range comes before its start."
    NOT_IN_SESSION = "not_in_session", "That copy was not scanned in this inventory."
