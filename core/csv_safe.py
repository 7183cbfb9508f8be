"""CSV the site writes, safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula: a branch or a title named `=HYPERLINK(...)` would become a
live link, or worse, in the librarian's spreadsheet. Every such text cell is written with
a leading `'`, which spreadsheets show as text and do not run. Numbers stay numbers: an
int, a float or a Decimal, and a text that is only a number (`-3`, `+2.5`, `1e3`) are
written as they are.

Every CSV the site writes goes through `writer()` (statistics downloads, the MARC import's
report). This module imports no app.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

#: What a spreadsheet takes as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """The value as a spreadsheet should see it: text that would run as a formula gets a
    leading `'`; numbers, and text that is only a number, are left alone."""
    if value is None or isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class _SafeWriter:
    def __init__(self, inner):
        self._inner = inner

    @property
    def dialect(self):
        return self._inner.dialect

    def writerow(self, row):
        return self._inner.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(file, *args, **kwargs) -> _SafeWriter:
    """`csv.writer(file, ...)` whose every cell goes through `safe_cell`."""
    return _SafeWriter(csv.writer(file, *args, **kwargs))
