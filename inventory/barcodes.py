"""Reading barcodes: one typed or scanned at the desk, or a file of them (one a line, or
a CSV whose first column is the barcode). A file is read whole before anything is saved,
so a file with junk lines is refused with their line numbers and nothing of it kept."""

from __future__ import annotations

import re

from inventory.exceptions import InventoryRefusal

#: What a barcode may be: the characters of the catalog's barcodes, at most 32.
BARCODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,31}")
#: The largest file taken at once (a 50,000-copy branch is well under 1 MB).
MAX_FILE_MB = 5
#: How many junk lines a refusal names (it counts them all).
NAMED_LINES = 20
_SEPARATORS = re.compile(r"[,;\t]")


def clean(barcode: str) -> str:
    """The barcode as scanned, without the spaces around it; refused if it is not one."""
    text = (barcode or "").strip()
    if not BARCODE.fullmatch(text):
        raise InventoryRefusal.BARCODE.refuse()
    return text


def read_file(content: bytes) -> list[str]:
    """The barcodes of a file, in order (repeats kept: the service counts them once).

    Empty lines are skipped, and a first line whose first cell is "barcode" (a CSV's
    header). Every other line must be a barcode (its first cell, quotes removed)."""
    if len(content) > MAX_FILE_MB * 1024 * 1024:
        raise InventoryRefusal.FILE_TOO_LARGE.refuse(limit=MAX_FILE_MB)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InventoryRefusal.NOT_TEXT.refuse() from None
    if "\x00" in text:
        raise InventoryRefusal.NOT_TEXT.refuse()
    barcodes, junk = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = _SEPARATORS.split(line, maxsplit=1)[0].strip().strip('"').strip()
        if not cell and not line.strip(" ,;\t\"'"):
            continue
        if not barcodes and not junk and cell.lower() == "barcode":
            continue
        if BARCODE.fullmatch(cell):
            barcodes.append(cell)
        else:
            junk.append(number)
    if junk:
        named = ", ".join(str(n) for n in junk[:NAMED_LINES])
        raise InventoryRefusal.JUNK_LINES.refuse(
            count=len(junk), lines=named + (", …" if len(junk) > NAMED_LINES else "")
        )
    if not barcodes:
        raise InventoryRefusal.EMPTY_FILE.refuse()
    return barcodes
