"""Published figures that cannot be subtracted (docs/statistics.md, "Published figures").

Figures are published for whole calendar months that are over, and a period is a run of
such months. Within one month every breakdown (per branch, item type, patron category,
holds and use per branch) hides its small counts and withholds the smallest others of
the column with them (`stats.suppression`), a choice made from that month's counts and
labels only, so the month reads the same on every page that shows it. A period's cell
is the sum of its months and is shown only when every one of its months shows it: a
cell hidden in one month is withheld in every period that contains the month. So every
figure shown on any page, CSV or report is a sum of cells shown for single months (or a
library-wide total, which is exact), and no difference of two of them is a hidden count.
"""

from __future__ import annotations

from collections.abc import Callable

from stats.counts import Counts, monthly_counts
from stats.period import Period
from stats.suppression import suppressed_cells, threshold
from stats.tables import Table

#: The tables whose cells are protected month by month (the breakdowns of a total).
BREAKDOWNS = (
    "circulation-by-branch",
    "circulation-by-item-type",
    "circulation-by-patron-category",
    "holds",
    "branch-use",
)


class Protection:
    """What the months of `period` hide, table by table, as (row label, column)."""

    def __init__(self, period: Period) -> None:
        self.period = period
        self._months: dict | None = None
        self._forced: dict[str, set] = {}

    @property
    def months(self) -> dict:
        if self._months is None:
            self._months = monthly_counts(self.period.months())
        return self._months

    def forced(self, slug: str, build: Callable[[Counts], Table]) -> set:
        if slug not in BREAKDOWNS:
            return set()
        if slug not in self._forced:
            below, result = threshold(), set()
            for counts in self.months.values():
                table = build(counts)
                small_ones, withheld = suppressed_cells(table, below)
                result |= {(str(table.rows[i][0]), j) for i, j in small_ones | withheld}
            self._forced[slug] = result
        return self._forced[slug]
