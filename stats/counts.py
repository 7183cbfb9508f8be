"""The counts a statistics page is drawn from, read once per page.

`Counts(period)` asks each anonymous table one question that covers the period and the
same period a year earlier together (conditional sums), and every table and total of
the page is added up from the answers in Python: a year of a ten-branch library is a few
hundred rows here, not the hundred thousand day rows they sum. Nothing here reads a
table whose rows name a patron (tests/stats/test_no_patron_tables.py checks the SQL).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from circulation.models import Program, VisitCount
from circulation.models.usage import CirculationDay, ComputerUseDay, HoldDay, HoldWait
from stats.period import Period
from stats.tables import day_range, month_range

CIRCULATION = ("checkouts", "renewals", "returns")
HOLDS = ("placed", "filled", "cancelled", "expired")
#: The columns of a circulation row that say what was counted.
KEYS = ("branch_id", "item_type", "patron_category")


def _sums(names, now: Q, before: Q) -> dict:
    """SUM(name) FILTER (this period) and FILTER (a year earlier), as now_name and
    before_name (an aggregate may not take a column's own name)."""
    sums = {f"now_{name}": Sum(name, filter=now) for name in names}
    sums.update({f"before_{name}": Sum(name, filter=before) for name in names})
    return sums


def _zeroed(row: dict) -> dict:
    """A row with its sums named `name` and `name_before`, None (no rows) as 0."""
    result = {}
    for key, value in row.items():
        if key.startswith("now_"):
            key = key.removeprefix("now_")
        elif key.startswith("before_"):
            key = key.removeprefix("before_") + "_before"
        result[key] = 0 if value is None else value
    return result


def median(counts: dict[int, int]) -> int | None:
    """The median of values given as {value: how many}."""
    n = sum(counts.values())
    if not n:
        return None
    seen, middle = 0, (n + 1) // 2
    for value in sorted(counts):
        seen += counts[value]
        if seen >= middle:
            return value
    return None  # pragma: no cover


class Counts:
    """The anonymous counts for `period` and the same period a year earlier."""

    def __init__(self, period: Period) -> None:
        self.period = period
        self.earlier = period.earlier

    def _both(self, column: str = "day") -> tuple[Q, Q, Q]:
        now, before = Q(**day_range(self.period, column)), Q(**day_range(self.earlier, column))
        return now, before, now | before

    @cached_property
    def circulation(self) -> list[dict]:
        """Per branch x item type x patron category: check-outs, renewals and returns in
        the period and a year earlier (one query; every breakdown adds up from it)."""
        now, before, either = self._both()
        rows = (
            CirculationDay.objects.filter(either)
            .values(*KEYS)
            .annotate(**_sums(CIRCULATION, now, before))
            .order_by(*KEYS)
        )
        return [_zeroed(row) for row in rows]

    @cached_property
    def circulation_over_time(self) -> tuple[dict, dict]:
        """Per day, week or month: this period's sums by bucket, and the year-earlier
        check-outs by the bucket of this period they fall in."""
        period = self.period
        bucket = {"week": TruncWeek("day"), "month": TruncMonth("day")}.get(period.group, F("day"))
        now, before, either = self._both()
        rows = (
            CirculationDay.objects.filter(either)
            .annotate(bucket=bucket)
            .values("bucket")
            .annotate(**_sums(CIRCULATION, now, before))
            .order_by("bucket")
        )
        this, earlier = {}, defaultdict(int)
        for row in rows:
            row = _zeroed(row)
            day = _as_date(row["bucket"])
            this[day] = row
            if row["checkouts_before"]:
                earlier[period.shifted_bucket(day)] += row["checkouts_before"]
        return this, dict(earlier)

    def _per_branch(self, queryset, sums: dict) -> dict[int, dict]:
        return {
            row["branch_id"]: _zeroed(row)
            for row in queryset.values("branch_id").annotate(**sums).order_by("branch_id")
        }

    @cached_property
    def holds(self) -> dict[int, dict]:
        now, before, either = self._both()
        return self._per_branch(HoldDay.objects.filter(either), _sums(HOLDS, now, before))

    @cached_property
    def computers(self) -> dict[int, dict]:
        now, before, either = self._both()
        sums = _sums(("sessions", "minutes"), now, before)
        return self._per_branch(ComputerUseDay.objects.filter(either), sums)

    @cached_property
    def visits(self) -> dict[int, dict]:
        now, before, either = self._both()
        return self._per_branch(VisitCount.objects.filter(either), _sums(("count",), now, before))

    @cached_property
    def programs(self) -> dict[int, dict]:
        """Programs that began in the period (and a year earlier) and their attendance."""
        first, after = self.period.bounds()
        first_before, after_before = self.earlier.bounds()
        now = Q(starts_at__gte=first, starts_at__lt=after)
        before = Q(starts_at__gte=first_before, starts_at__lt=after_before)
        sums = {
            "now_sessions": Count("pk", filter=now),
            "now_attendance": Sum("attendance_count", filter=now),
            "before_sessions": Count("pk", filter=before),
            "before_attendance": Sum("attendance_count", filter=before),
        }
        return self._per_branch(Program.objects.filter(now | before), sums)

    @cached_property
    def waits(self) -> dict[int, dict[int, int]]:
        """Per pickup branch: {days waited: holds filled}, over the whole months the
        period touches (waits are kept per month)."""
        rows = (
            HoldWait.objects.filter(**month_range(self.period))
            .values("branch_id", "wait_days")
            .annotate(n=Sum("filled"))
            .order_by("branch_id", "wait_days")
        )
        result: dict[int, dict[int, int]] = defaultdict(dict)
        for row in rows:
            if row["n"]:
                result[row["branch_id"]][row["wait_days"]] = row["n"]
        return dict(result)

    def median_wait(self, branch_id: int | None = None) -> tuple[int | None, int]:
        """The median days a filled hold waited, and how many holds that describes."""
        if branch_id is None:
            counts: dict[int, int] = defaultdict(int)
            for waits in self.waits.values():
                for days, n in waits.items():
                    counts[days] += n
        else:
            counts = self.waits.get(branch_id, {})
        return median(counts), sum(counts.values())

    def totals(self, before: bool = False) -> dict[str, int]:
        """The whole library's totals for the period (or the year earlier)."""
        suffix = "_before" if before else ""

        def total(rows, name: str) -> int:
            return sum(row[name + suffix] for row in rows)

        circulation = self.circulation
        holds, pcs = self.holds.values(), self.computers.values()
        programs = self.programs.values()
        return {
            "checkouts": total(circulation, "checkouts"),
            "renewals": total(circulation, "renewals"),
            "returns": total(circulation, "returns"),
            "holds_placed": total(holds, "placed"),
            "holds_filled": total(holds, "filled"),
            "visits": total(self.visits.values(), "count"),
            "computer_sessions": total(pcs, "sessions"),
            "computer_minutes": total(pcs, "minutes"),
            "program_sessions": total(programs, "sessions"),
            "program_attendance": total(programs, "attendance"),
        }


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value
