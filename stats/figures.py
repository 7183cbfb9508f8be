"""The figures of the statistics pages, read from the anonymous tables only.

Every query reads `stats.models` (day and month counts), VisitCount, the counts kept
on Item and Program, Branch, Title and patron category names, and ExpungeRun's counts
(`stats.counts` asks them once per page). None reads a table whose rows name a patron
(loans, holds, fines, visits, computer sessions, program sign-ups, cards, blocks); the
one exception is the number of registered users, a COUNT of the patron table (the
annual survey's, `stats.survey`, filtered by registration and expiry dates).
tests/stats/test_no_patron_tables.py checks the SQL.

The tables themselves are built in `lending` (circulation), `use` (holds, visits,
computers, programs), `titles` and `collection` (copies now, expunge runs).
"""

from __future__ import annotations

from patrons.models import Patron
from stats.collection import expunge_runs, items_now
from stats.counts import Counts
from stats.lending import circulation_by, circulation_over_time
from stats.period import Period
from stats.tables import Table
from stats.titles import titles_per_month, top_titles
from stats.use import branch_use, holds

SUMMARY = (
    ("checkouts", "Check-outs"),
    ("renewals", "Renewals"),
    ("returns", "Returns"),
    ("holds_placed", "Holds placed"),
    ("holds_filled", "Holds filled"),
    ("visits", "Visits"),
    ("computer_sessions", "Computer sessions"),
    ("program_sessions", "Program sessions"),
    ("program_attendance", "Program attendance"),
)


def registered_users() -> int:
    """Patron accounts today: a bare COUNT, the only query that reads the patron table."""
    return Patron.objects.count()


def totals(period: Period) -> dict[str, int]:
    return Counts(period).totals()


def median_wait(period: Period) -> tuple[int | None, int]:
    return Counts(period).median_wait()


def summary(counts: Counts) -> Table:
    """The whole library's totals for the period and a year earlier."""
    now, before = counts.totals(), counts.totals(before=True)
    table = Table(
        "summary",
        "Totals for the whole library",
        ["Figure", "This period", "A year earlier"],
        adds_up="",
        chart="",
        exact=True,
    )
    table.rows = [[label, now[key], before[key]] for key, label in SUMMARY]
    return table


#: Every table of the page, by the slug of its CSV download, built from one `Counts`.
TABLES = {
    "summary": summary,
    "circulation": circulation_over_time,
    "circulation-by-branch": lambda c: circulation_by(c, "branch"),
    "circulation-by-item-type": lambda c: circulation_by(c, "item_type"),
    "circulation-by-patron-category": lambda c: circulation_by(c, "patron_category"),
    "holds": holds,
    "titles-per-month": lambda c: titles_per_month(c.period),
    "branch-use": branch_use,
    "items-now": lambda c: items_now(),
    "expunge-runs": lambda c: expunge_runs(c.period),
}
#: Downloads only: too slow to add up for the page over a long period.
DOWNLOADS = {"top-titles": lambda c: top_titles(c.period)}


def page_tables(counts: Counts) -> list[Table]:
    """The page's sections, in order (the summary is shown on its own, above them)."""
    return [build(counts) for slug, build in TABLES.items() if slug != "summary"]
