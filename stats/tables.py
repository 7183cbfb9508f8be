"""What every figure is made of: a `Table` of rows (a label, then numbers), the kinds of
cell that are not plain counts, and the names the rows are labelled with."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from circulation.models import Branch, Item
from patrons.models import PatronCategory
from stats.period import Period

ITEM_TYPES = dict(Item.ItemType.choices)


@dataclass
class Table:
    """One figure: a table of numbers, maybe drawn as a chart, downloadable as CSV."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    #: Which cells add up to a total someone can see or work out (`stats.suppression`):
    #: "columns" (each column of a breakdown adds up to the library's total), "rows"
    #: (each row's parts add up to its last cell), or "" (nothing adds up).
    adds_up: str = "columns"
    #: "columns" (over time), "bars" (per branch, type...) or "" for no chart.
    chart: str = "bars"
    #: The value columns drawn (indices into a row); the first is the main series.
    series: tuple[int, ...] = (1,)
    note: str = ""
    #: The whole library's counts (a month's, a period's, a fiscal year's totals): shown
    #: exactly, as the annual report must (docs/statistics.md, "Published figures").
    exact: bool = False


class Label(str):
    """A text cell that is not a count (never suppressed, never charted)."""


@dataclass(frozen=True)
class Wait:
    """A median wait in days, hidden when it describes fewer holds than the threshold."""

    days: int | None
    holds: int


def day_range(period: Period, column: str = "day") -> dict:
    return {f"{column}__gte": period.start, f"{column}__lte": period.end}


def month_range(period: Period) -> dict:
    """The whole months the period touches."""
    return {"month__gte": period.start.replace(day=1), "month__lte": period.end}


#: The names read once per page (the protection builds every month's tables too).
_NAMES: ContextVar[dict | None] = ContextVar("stats_names", default=None)


@contextmanager
def names_read_once():
    token = _NAMES.set({})
    try:
        yield
    finally:
        _NAMES.reset(token)


def _names(key: str, load) -> dict:
    cache = _NAMES.get()
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


def branch_names() -> dict[int, str]:
    return _names("branch", lambda: dict(Branch.objects.values_list("pk", "name")))


def category_names() -> dict[str, str]:
    """Patron categories by code (categories are data; a removed one keeps its code)."""
    return _names("category", lambda: dict(PatronCategory.objects.values_list("code", "name")))
