"""Every CSV the site writes keeps a spreadsheet from running a cell as a formula, and
keeps numbers numbers (core.csv_safe; the statistics CSV has its own test)."""

import csv
import io

import pytest

from core import csv_safe


@pytest.mark.parametrize(
    "cell, written",
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\\t=1", "'\\t=1"),
        ("\\r=1", "'\\r=1"),
        ("-3", "-3"),
        ("+2.5", "+2.5"),
        ("-1e3", "-1e3"),
        (-7, "-7"),
        (1.5, "1.5"),
        ("Central Library", "Central Library"),
        ("a=b", "a=b"),
    ],
)
def test_formula_cells_are_text_and_numbers_stay_numbers(cell, written):
    cell = cell.replace("\\t", "\t").replace("\\r", "\r") if isinstance(cell, str) else cell
    written = written.replace("\\t", "\t").replace("\\r", "\r")
    out = io.StringIO()
    csv_safe.writer(out).writerows([[cell]])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [written]
