"""Small numbers hidden everywhere: with activity whose every breakdown has small counts,
no count from 1 to the threshold less one appears in a breakdown on the statistics page
(its tables, its charts' bars and their <title> text) or in any CSV; and no hidden count
can be worked out from a total beside it. The library's own totals (per month, period
and fiscal year: the summary, the circulation per month, the annual report) are exact by
design (docs/statistics.md, "Published figures"), and tests/stats/test_subtraction.py
checks that no two figures give back a hidden count."""

import csv
import datetime
import io
import re
from html.parser import HTMLParser

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from circulation import services
from circulation.models import Item
from privacy import retention
from stats import figures
from stats.suppression import hidden_cells, present, suppressed_cells
from stats.tables import Table
from tests.factories import ItemFactory, ProgramFactory
from tests.stats.conftest import at

pytestmark = pytest.mark.django_db

#: Columns that are not counts of anything: days waited, a rank; and the CSV's note of
#: the protected cells.
NOT_COUNTS = {"Median wait (days)", "Rank", "Protected cells"}
#: The library's totals, exact by design.
EXACT = {"summary", "circulation"}
NUMBER = re.compile(r"\d[\d,]*")


def small(text: str, below: int = 5) -> bool:
    """Whether `text` is a count from 1 to below - 1."""
    text = text.strip()
    return bool(NUMBER.fullmatch(text)) and 0 < int(text.replace(",", "")) < below


class Page(HTMLParser):
    """The count cells of a statistics page: table cells (with their column's heading),
    the totals' figures, and the charts' bar titles and text (not the axis ticks)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []  # (where, text)
        self._stack: list[tuple[str, dict]] = []
        self._text: list[str] = []
        self._headings: list[str] = []
        self._column = 0
        self._section = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = attrs.get("id", "")
        if self._section in EXACT:
            return
        if tag == "tr":
            self._column = 0
        if tag in ("th", "td", "title", "text", "span"):
            self._stack.append((tag, attrs))
            self._text = []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        if not self._stack or self._stack[-1][0] != tag:
            return
        _, attrs = self._stack.pop()
        text = "".join(self._text).strip()
        if tag == "th":
            if attrs.get("scope") == "col":
                if self._column == 0:
                    self._headings = []
                self._headings.append(text)
            self._column += 1
        elif tag == "td":
            heading = self._headings[self._column] if self._column < len(self._headings) else "?"
            self._column += 1
            if heading not in NOT_COUNTS:
                self.cells.append((f"cell under {heading!r}", text))
        elif tag == "title" and ": " in text:  # a bar's "label, series: value"
            self.cells.append(("chart bar", text.rsplit(": ", 1)[1]))
        elif tag == "text" and attrs.get("class") not in ("tick", "label", "legend"):
            self.cells.append(("chart text", text))


@pytest.fixture
def small_everywhere(activity, librarian):
    """The activity (two branches, a few loans, a hold, visits, computer sessions) and
    a program with three people, a lost copy, copies overdue, and an expunge run."""
    ProgramFactory(
        branch=activity.east, starts_at=at(20, 18), ends_at=at(20, 20), attendance_count=3
    )
    ItemFactory(branch=activity.east, status=Item.Status.LOST)
    services.record_overdue_counts(now=at(31, 23))
    retention.expunge(now=at(31, 23) + datetime.timedelta(days=15))  # in a month now over
    return activity


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_no_small_count_anywhere(small_everywhere, librarian_client):
    today = timezone.localdate()
    queries = [
        "start=2025-03-01&end=2025-03-31&group=month",
        "start=2025-03-01&end=2025-03-31&group=month",
        f"start=2025-01-01&end={today}&group=month",  # with today's expunge run
    ]
    seen, hidden = 0, 0
    for query in queries:
        page = librarian_client.get(f"/admin/stats/statistics/?{query}").content.decode()
        parser = Page()
        parser.feed(page[page.index('id="content"') :])
        for where, text in parser.cells:
            assert not small(text), f"{query}: {where} shows {text}"
        seen += len(parser.cells)
        hidden += page.count("fewer than 5")
        for slug in {*figures.TABLES, *figures.DOWNLOADS} - EXACT:
            rows = _csv(librarian_client, f"/admin/stats/csv/?table={slug}&{query}")
            header = rows[0]
            for row in rows[1:]:
                for heading, value in zip(header[1:], row[1:], strict=True):
                    if heading not in NOT_COUNTS:
                        assert not small(value), f"{query} {slug}.csv: {heading} is {value}"
                        seen += 1
    # The sweep read the figures, and there were small counts to hide.
    assert seen > 100 and hidden > 10


def test_no_hidden_count_can_be_worked_out_from_a_total(small_everywhere, librarian_client):
    """In each breakdown column (which adds up to a total on the page), hidden cells
    come two or more at a time; in an expunge run, the parts of its "In all" likewise.
    (Alone, a hidden cell is its column's whole total, then hidden in the totals too.)"""
    today = timezone.localdate()
    query = f"start=2025-03-01&end={today}&group=month"
    checked = 0
    for slug in ("circulation-by-branch", "circulation-by-item-type",
                 "circulation-by-patron-category", "holds", "branch-use", "items-now"):  # fmt: skip
        rows = _csv(librarian_client, f"/admin/stats/csv/?table={slug}&{query}")
        for column in range(1, len(rows[0])):
            if rows[0][column] == "Protected cells":
                continue
            name = rows[0][column]
            notes = [row[-1] if rows[0][-1] == "Protected cells" else "" for row in rows[1:]]
            hidden = sum(f"{name}: " in note for note in notes)
            values = [row[column] for row in rows[1:]]
            # One hidden count alone only where it is the whole (small, hidden) total.
            alone = hidden == 1 and values.count("0") == len(values) - 1
            assert hidden != 1 or alone, f"{slug}: one hidden count in {rows[0][column]!r}"
            checked += hidden
    runs = _csv(librarian_client, f"/admin/stats/csv/?table=expunge-runs&{query}")
    assert len(runs) > 1
    for row in runs[1:]:
        assert sum(value in ("<5", "withheld", "") for value in row[1:-1]) != 1, row
    assert checked > 10


def test_a_hidden_count_takes_the_smallest_others_with_it():
    table = Table("t", "T", ["Branch", "Check-outs", "Renewals"])
    table.rows = [["A", 2, 0], ["B", 7, 30], ["C", 40, 1], ["D", 90, 3]]
    hidden = hidden_cells(table, 5)
    # Check-outs: 2 is small, so 7 goes with it (two hidden, 9 between them).
    # Renewals: 1 and 3 are small but add up to 4, so 30 goes with them.
    assert hidden == {(0, 1), (1, 1), (2, 2), (3, 2), (1, 2)}
    # The small ones read "fewer than 5"; those withheld with them are not small.
    assert suppressed_cells(table, 5) == ({(0, 1), (2, 2), (3, 2)}, {(1, 1), (1, 2)})
    shown = present(table)["rows"]
    assert [c["text"] for c in shown[1][1:]] == ["withheld", "withheld"]
    assert shown[0][1]["text"] == "fewer than 5" and shown[2][1]["text"] == "40"
    runs = Table("r", "R", ["Run", "loan", "hold", "visit", "In all"], adds_up="rows")
    runs.rows = [["x", 3, 50, 60, 113], ["y", 0, 0, 12, 12]]
    assert hidden_cells(runs, 5) == {(0, 1), (0, 2)}
    with override_settings(CALUMET_STATS_SUPPRESS_BELOW=1):
        assert hidden_cells(table, 1) == set()


def test_a_lone_small_count_hides_the_same_zeros_whoever_holds_it():
    # Only one branch had expired holds: the library's total less the other branches'
    # zeros would give its count back, so zeros are hidden with it, the same ones
    # whichever branch of the group had the count (labels taken two by two, the last
    # three together).
    def hidden_expired(counts):
        table = Table("t", "T", ["Branch", "Placed", "Expired"])
        table.rows = [[label, 50, n] for label, n in zip("ABCDE", counts, strict=True)]
        return {table.rows[i][0] for i, j in hidden_cells(table, 5) if j == 2}

    assert hidden_expired([3, 0, 0, 0, 0]) == hidden_expired([0, 3, 0, 0, 0]) == {"A", "B"}
    for counts in ([0, 0, 2, 0, 0], [0, 0, 0, 2, 0], [0, 0, 0, 0, 2]):
        assert hidden_expired(counts) == {"C", "D", "E"}
    assert hidden_expired([0, 0, 0, 0, 0]) == set()
    assert hidden_expired([3, 0, 0, 0, 9]) == {"A", "E"}  # a count to withhold: no zeros
    shown = present(_one_column([3, 0]))["rows"]
    assert [row[1]["text"] for row in shown] == ["fewer than 5", "fewer than 5"]


def _one_column(counts):
    table = Table("t", "T", ["Branch", "Expired"])
    table.rows = [[label, n] for label, n in zip("ABCDE", counts, strict=False)]
    return table


def test_a_title_borrowed_a_few_times_is_not_named(small_everywhere, librarian_client):
    query = "start=2025-03-01&end=2025-03-31&group=month"
    page = librarian_client.get(f"/admin/stats/statistics/?{query}").content.decode()
    assert "The Lighthouse Keeper" not in page  # borrowed three times in March
    for slug in ("titles-per-month", "top-titles"):
        rows = _csv(librarian_client, f"/admin/stats/csv/?table={slug}&{query}")
        assert rows[1:] == []
