"""The counts a statistics page is drawn from, read once per page.

`Counts(period)` asks each anonymous table one question that covers the period and the
same period a year earlier together (conditional sums), and every table and total of
the page is added up from the answers in Python: a year of a ten-branch library is a few
hundred rows here, not the hundred thousand day rows they sum. Nothing here reads a
table whose rows name a patron (tests/stats/test_no_patron_tables.py checks the SQL).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from functools import cached_property

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from circulation.models import Program, VisitCount
from stats.models import CirculationDay, ComputerUseDay, HoldDay, HoldWait
from stats.period import Period, month_end, year_earlier
from stats.tables import day_range, month_range

CIRCULATION = ("checkouts", "renewals", "returns")
HOLDS = ("placed", "filled", "cancelled", "expired")
#: The columns of a circulation row that say what was counted.
KEYS = ("branch_id", "audience", "item_type", "patron_category")


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


def added_up(period: Period, months: dict[datetime.date, Counts]) -> Counts:
    """The counts of `period`, a run of whole months, added up from each of its months'
    counts (`monthly_counts`, which the protection of the page reads anyway): the same
    figures as `Counts(period)`, without reading the tables again."""
    counts = Counts(period)
    wanted = [months[month] for month in period.months()]
    circulation: dict[tuple, dict] = {}
    this, earlier = {}, {}
    per_branch: dict[str, dict[int, dict]] = {
        name: {} for name in ("holds", "computers", "visits", "programs")
    }
    waits: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for month in wanted:
        for row in month.circulation:
            key = tuple(row[k] for k in KEYS)
            if key not in circulation:
                circulation[key] = {name: row[name] if name in KEYS else 0 for name in row}
            _add(circulation[key], row, skip=KEYS)
        now, before = month.circulation_over_time
        this.update(now)
        earlier.update(before)
        for name, rows in per_branch.items():
            for branch, row in getattr(month, name).items():
                _add(rows.setdefault(branch, dict.fromkeys(row, 0)), row)
        for branch, days in month.waits.items():
            for wait, n in days.items():
                waits[branch][wait] += n
    counts.__dict__["circulation"] = [circulation[key] for key in sorted(circulation)]
    counts.__dict__["circulation_over_time"] = (this, earlier)
    for name, rows in per_branch.items():
        counts.__dict__[name] = {
            branch: {"branch_id": branch, **row} for branch, row in sorted(rows.items())
        }
    counts.__dict__["waits"] = {branch: dict(days) for branch, days in waits.items()}
    return counts


def _add(total: dict, row: dict, skip: tuple = ()) -> None:
    for name, value in row.items():
        if name not in skip:
            total[name] += value


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _month_key(value) -> datetime.date:
    return _as_date(value).replace(day=1)


def monthly_counts(months: list[datetime.date]) -> dict[datetime.date, Counts]:
    """`Counts` of each month in `months` (first days), each with the same month a year
    earlier, from one query per table over the whole span: what the protection of the
    published figures (`stats.protect`) compares a period's cells with."""
    months = sorted(set(months))
    if not months:
        return {}
    first, last = year_earlier(months[0]), month_end(months[-1])
    wanted = set(months) | {year_earlier(m) for m in months}
    result = {m: Counts(Period(m, month_end(m), "month")) for m in months}
    fill: dict[datetime.date, dict] = {m: defaultdict(dict) for m in months}

    def spread(rows, name, key, amounts):
        """Put each month's row into that month's counts (as now_) and into the counts
        of the month a year later (as before_)."""
        for row in rows:
            month = _month_key(row.pop("m"))
            if month not in wanted:
                continue
            for target, prefix in ((month, "now_"), (_year_later(month), "before_")):
                if target in fill:
                    slot = fill[target][name].setdefault(key(row), {})
                    for amount in amounts:
                        slot[prefix + amount] = (row[amount] or 0) + slot.get(prefix + amount, 0)

    def grouped(queryset, column, keys, amounts, aggregate=Sum):
        trunc = TruncMonth(column)
        return (
            queryset.annotate(m=trunc)
            .values("m", *keys)
            .annotate(**{a: aggregate(a) for a in amounts})
            .order_by()
        )

    span = {"day__gte": first, "day__lte": last}
    spread(
        grouped(CirculationDay.objects.filter(**span), "day", KEYS, CIRCULATION),
        "circulation",
        lambda r: tuple(r[k] for k in KEYS),
        CIRCULATION,
    )
    for name, model, amounts in (
        ("holds", HoldDay, HOLDS),
        ("computers", ComputerUseDay, ("sessions", "minutes")),
        ("visits", VisitCount, ("count",)),
    ):
        rows = grouped(model.objects.filter(**span), "day", ("branch_id",), amounts)
        spread(rows, name, lambda r: r["branch_id"], amounts)
    zone = timezone.get_current_timezone()
    starts = datetime.datetime.combine(first, datetime.time(), zone)
    ends = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), zone)
    programs = (
        Program.objects.filter(starts_at__gte=starts, starts_at__lt=ends)
        .annotate(m=TruncMonth("starts_at"))
        .values("m", "branch_id")
        .annotate(sessions=Count("pk"), attendance=Sum("attendance_count"))
        .order_by()
    )
    spread(programs, "programs", lambda r: r["branch_id"], ("sessions", "attendance"))
    waits = (
        HoldWait.objects.filter(month__gte=months[0], month__lte=last)
        .values("month", "branch_id", "wait_days")
        .annotate(n=Sum("filled"))
        .order_by()
    )
    per_month_waits: dict = defaultdict(lambda: defaultdict(dict))
    for row in waits:
        if row["n"] and row["month"] in result:
            per_month_waits[row["month"]][row["branch_id"]][row["wait_days"]] = row["n"]

    for month, counts in result.items():
        data = fill[month]
        both = tuple(f"{p}{a}" for p in ("now_", "before_") for a in CIRCULATION)
        circulation = []
        for key, sums in sorted(data["circulation"].items(), key=lambda kv: str(kv[0])):
            row = dict(zip(KEYS, key, strict=True))
            row.update({name: sums.get(name, 0) for name in both})
            circulation.append(_zeroed(row))
        counts.__dict__["circulation"] = circulation
        now_total = {f"now_{a}": sum(r[a] for r in circulation) for a in CIRCULATION}
        before_total = {
            f"before_{a}": sum(r[a + "_before"] for r in circulation) for a in CIRCULATION
        }
        over_time = _zeroed({"bucket": month, **now_total, **before_total})
        earlier = {month: over_time["checkouts_before"]} if over_time["checkouts_before"] else {}
        counts.__dict__["circulation_over_time"] = ({month: over_time}, earlier)
        for name, amounts in (
            ("holds", HOLDS),
            ("computers", ("sessions", "minutes")),
            ("visits", ("count",)),
            ("programs", ("sessions", "attendance")),
        ):
            names = tuple(f"{p}{a}" for p in ("now_", "before_") for a in amounts)
            counts.__dict__[name] = {
                branch: _zeroed({name_: sums.get(name_, 0) for name_ in names})
                for branch, sums in sorted(data[name].items())
            }
        counts.__dict__["waits"] = {b: dict(w) for b, w in per_month_waits[month].items()}
    return result


def _year_later(month: datetime.date) -> datetime.date:
    return month.replace(year=month.year + 1)
