"""The figures of the statistics pages, read from the anonymous tables only.

Every query here reads `circulation.usage` (day and month counts), VisitCount, the
counts kept on Item and Program, Branch and Title names, and ExpungeRun's counts. None
reads a table whose rows name a patron (loans, holds, fines, visits, computer sessions,
program sign-ups, cards, blocks); the one exception is the number of registered users,
a bare COUNT of the patron table. tests/stats/test_no_patron_tables.py checks the SQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from circulation.models import Branch, Item, Program, Title, VisitCount
from circulation.usage import CirculationDay, ComputerUseDay, HoldDay, HoldWait, TitleMonth
from patrons.models import Patron

from .period import Period

ITEM_TYPES = dict(Item.ItemType.choices)
CATEGORIES = dict(Patron.Category.choices)


@dataclass
class Table:
    """One figure: a table of numbers, maybe drawn as a chart, downloadable as CSV."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    #: Breakdown cells (not the first column) below the threshold are hidden.
    suppressed: bool = True
    #: "columns" (over time), "bars" (per branch, type...) or "" for no chart.
    chart: str = "bars"
    #: The value columns drawn (indices into a row); the first is the main series.
    series: tuple[int, ...] = (1,)
    note: str = ""


def _in(period: Period, column: str = "day") -> dict:
    return {f"{column}__gte": period.start, f"{column}__lte": period.end}


def _months(period: Period) -> dict:
    return {"month__gte": period.start.replace(day=1), "month__lte": period.end}


def branch_names() -> dict[int, str]:
    return dict(Branch.objects.values_list("pk", "name"))


SUMS = {"checkouts": Sum("checkouts"), "renewals": Sum("renewals"), "returns": Sum("returns")}


def circulation_over_time(period: Period) -> Table:
    trunc = {"week": TruncWeek("day"), "month": TruncMonth("day")}.get(period.group)

    def grouped(p: Period) -> dict:
        rows = CirculationDay.objects.filter(**_in(p))
        rows = rows.annotate(bucket=trunc) if trunc is not None else rows.annotate(bucket=_day())
        return {
            _as_date(row["bucket"]): row
            for row in rows.values("bucket").annotate(**SUMS).order_by("bucket")
        }

    now, before = grouped(period), grouped(period.earlier)
    earlier = {period.shifted_bucket(b): row["checkouts"] for b, row in before.items()}
    table = Table(
        "circulation",
        f"Circulation per {period.group}",
        [
            period.group.capitalize(),
            "Check-outs",
            "Renewals",
            "Returns",
            "Check-outs a year earlier",
        ],
        chart="columns",
        series=(1, 4),
    )
    for bucket in period.buckets():
        row = now.get(bucket, {})
        table.rows.append(
            [
                period.label(bucket),
                row.get("checkouts", 0),
                row.get("renewals", 0),
                row.get("returns", 0),
                earlier.get(bucket, 0),
            ]
        )
    return table


def _day():
    from django.db.models import F

    return F("day")


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


KEYS = ("branch_id", "item_type", "patron_category")


def circulation_cube(period: Period) -> list[dict]:
    """Check-outs, renewals and returns per branch x item type x category in the period:
    one query that every breakdown (and the totals) adds up from."""
    rows = CirculationDay.objects.filter(**_in(period)).values(*KEYS).annotate(**SUMS)
    return list(rows.order_by(*KEYS))


def _rolled(cube: list[dict], key: str) -> dict:
    result: dict = {}
    for row in cube:
        sums = result.setdefault(row[key], {name: 0 for name in SUMS})
        for name in SUMS:
            sums[name] += row[name] or 0
    return result


def circulation_by(period: Period, column: str, cubes: tuple | None = None) -> Table:
    """Per branch, item type or patron category: this period and a year earlier.
    `cubes`: this period's and the year-earlier `circulation_cube`, when already read."""
    key = "branch_id" if column == "branch" else column
    names = {
        "branch": branch_names(),
        "item_type": ITEM_TYPES,
        "patron_category": CATEGORIES,
    }[column]
    heading = {"branch": "Branch", "item_type": "Item type", "patron_category": "Patron category"}

    if cubes is None:
        cubes = (circulation_cube(period), circulation_cube(period.earlier))
    now, before = _rolled(cubes[0], key), _rolled(cubes[1], key)
    table = Table(
        f"circulation-by-{column.replace('_', '-')}",
        f"Circulation by {heading[column].lower()}",
        [heading[column], "Check-outs", "Renewals", "Returns", "Check-outs a year earlier"],
        series=(1, 4),
    )
    for code in sorted(set(now) | set(before), key=lambda c: str(names.get(c, c))):
        row = now.get(code, {})
        table.rows.append(
            [
                str(names.get(code, code)),
                row.get("checkouts", 0),
                row.get("renewals", 0),
                row.get("returns", 0),
                before.get(code, {}).get("checkouts", 0),
            ]
        )
    return table


def median_wait(period: Period, branch_id: int | None = None) -> tuple[int | None, int]:
    """The median days a filled hold waited (whole months of the period), and how many."""
    rows = HoldWait.objects.filter(**_months(period))
    if branch_id is not None:
        rows = rows.filter(branch_id=branch_id)
    histogram = rows.values("wait_days").annotate(n=Sum("filled")).order_by("wait_days")
    counts = [(row["wait_days"], row["n"]) for row in histogram]
    total = sum(n for _, n in counts)
    if not total:
        return None, 0
    seen = 0
    for days, n in counts:
        seen += n
        if seen * 2 >= total:
            return days, total
    return counts[-1][0], total  # pragma: no cover (the loop always returns)


def holds(period: Period) -> Table:
    names = branch_names()
    sums = {k: Sum(k) for k in ("placed", "filled", "cancelled", "expired")}
    now = {
        r["branch_id"]: r
        for r in HoldDay.objects.filter(**_in(period)).values("branch_id").annotate(**sums)
    }
    before = {
        r["branch_id"]: r["placed"]
        for r in HoldDay.objects.filter(**_in(period.earlier))
        .values("branch_id")
        .annotate(placed=Sum("placed"))
    }
    table = Table(
        "holds",
        "Holds by pickup branch",
        [
            *("Branch", "Placed", "Filled", "Cancelled", "Expired"),
            *("Median wait (days)", "Placed a year earlier"),
        ],
        series=(1, 2),
        note="The median wait counts holds filled in the whole months the period touches.",
    )
    for branch_id in sorted(set(now) | set(before), key=lambda b: names.get(b, "")):
        row = now.get(branch_id, {})
        wait, filled = median_wait(period, branch_id)
        table.rows.append(
            [
                names.get(branch_id, str(branch_id)),
                row.get("placed", 0),
                row.get("filled", 0),
                row.get("cancelled", 0),
                row.get("expired", 0),
                # A median of fewer holds than the threshold is hidden like a count.
                Wait(wait, filled),
                before.get(branch_id, 0),
            ]
        )
    return table


@dataclass(frozen=True)
class Wait:
    """A median wait in days, hidden when it describes fewer holds than the threshold."""

    days: int | None
    holds: int


def listed_from() -> int:
    """A title is named only when it was borrowed at least this often (the suppression
    threshold): a title borrowed once in a month says what one person read."""
    return max(settings.CALUMET_STATS_SUPPRESS_BELOW, 1)


def top_titles(period: Period, limit: int = 10) -> Table:
    rows = (
        TitleMonth.objects.filter(**_months(period))
        .values("title_id")
        .annotate(n=Sum("checkouts"))
        .filter(n__gte=listed_from())
        .order_by("-n", "title_id")[:limit]
    )
    rows = list(rows)
    names = dict(
        Title.objects.filter(pk__in=[r["title_id"] for r in rows]).values_list("pk", "title")
    )
    table = Table(
        "top-titles",
        "Most borrowed titles in the period",
        ["Title", "Check-outs"],
        note="Counted over the whole months the period touches; a title borrowed fewer"
        " times than the suppression threshold is not named.",
    )
    table.rows = [[names.get(r["title_id"], "?"), r["n"]] for r in rows]
    return table


def titles_per_month(period: Period, per_month: int = 5) -> Table:
    best: dict = defaultdict(list)
    # One small query per month (its top rows only), not every title of the period.
    for month in Period(period.start, period.end, "month").buckets():
        rows = TitleMonth.objects.filter(month=month, checkouts__gte=listed_from())
        rows = rows.order_by("-checkouts", "title_id").values_list("title_id", "checkouts")
        best[month] = list(rows[:per_month])
    best = {month: entries for month, entries in best.items() if entries}
    ids = {t for entries in best.values() for t, _ in entries}
    names = dict(Title.objects.filter(pk__in=ids).values_list("pk", "title"))
    table = Table(
        "titles-per-month",
        f"Most borrowed titles per month (top {per_month})",
        ["Month", "Rank", "Title", "Check-outs"],
        chart="",
    )
    for month in sorted(best):
        for rank, (title_id, checkouts) in enumerate(best[month], 1):
            table.rows.append(
                [month.strftime("%Y-%m"), Label(str(rank)), Label(names[title_id]), checkouts]
            )
    return table


class Label(str):
    """A text cell that is not a count (never suppressed, never charted)."""


def branch_use(period: Period) -> Table:
    names = branch_names()
    first, after = period.bounds()
    visits = dict(
        VisitCount.objects.filter(**_in(period))
        .values("branch_id")
        .annotate(n=Sum("count"))
        .values_list("branch_id", "n")
    )
    visits_before = dict(
        VisitCount.objects.filter(**_in(period.earlier))
        .values("branch_id")
        .annotate(n=Sum("count"))
        .values_list("branch_id", "n")
    )
    computers = {
        r["branch_id"]: r
        for r in ComputerUseDay.objects.filter(**_in(period))
        .values("branch_id")
        .annotate(sessions=Sum("sessions"), minutes=Sum("minutes"))
    }
    programs = {
        r["branch_id"]: r
        for r in Program.objects.filter(starts_at__gte=first, starts_at__lt=after)
        .values("branch_id")
        .annotate(n=Count("pk"), attendance=Sum("attendance_count"))
    }
    table = Table(
        "branch-use",
        "Visits, computers and programs by branch",
        [
            *("Branch", "Visits", "Computer sessions", "Computer hours", "Program sessions"),
            *("Program attendance", "Visits a year earlier"),
        ],
        series=(1, 6),
    )
    for branch_id in sorted(
        set(visits) | set(computers) | set(programs) | set(visits_before),
        key=lambda b: names.get(b, ""),
    ):
        c, p = computers.get(branch_id, {}), programs.get(branch_id, {})
        table.rows.append(
            [
                names.get(branch_id, str(branch_id)),
                visits.get(branch_id, 0),
                c.get("sessions", 0),
                round((c.get("minutes") or 0) / 60),
                p.get("n", 0),
                p.get("attendance") or 0,
                visits_before.get(branch_id, 0),
            ]
        )
    return table


def registered_users() -> int:
    """Patron accounts today: a bare COUNT, the only query that reads the patron table."""
    return Patron.objects.count()


def totals(period: Period, cube: list[dict] | None = None) -> dict[str, int]:
    first, after = period.bounds()
    cube = circulation_cube(period) if cube is None else cube
    circ = {name: sum(row[name] or 0 for row in cube) for name in SUMS}
    hold = HoldDay.objects.filter(**_in(period)).aggregate(
        placed=Sum("placed"), filled=Sum("filled")
    )
    pcs = ComputerUseDay.objects.filter(**_in(period)).aggregate(
        n=Sum("sessions"), m=Sum("minutes")
    )
    progs = Program.objects.filter(starts_at__gte=first, starts_at__lt=after).aggregate(
        n=Count("pk"), a=Sum("attendance_count")
    )
    return {
        "checkouts": circ["checkouts"] or 0,
        "renewals": circ["renewals"] or 0,
        "returns": circ["returns"] or 0,
        "holds_placed": hold["placed"] or 0,
        "holds_filled": hold["filled"] or 0,
        "visits": VisitCount.objects.filter(**_in(period)).aggregate(n=Sum("count"))["n"] or 0,
        "computer_sessions": pcs["n"] or 0,
        "computer_minutes": pcs["m"] or 0,
        "program_sessions": progs["n"] or 0,
        "program_attendance": progs["a"] or 0,
    }


def page_tables(period: Period, cubes: tuple | None = None) -> list[Table]:
    from .collection import expunge_runs, items_now

    if cubes is None:
        cubes = (circulation_cube(period), circulation_cube(period.earlier))
    return [
        circulation_over_time(period),
        circulation_by(period, "branch", cubes),
        circulation_by(period, "item_type", cubes),
        circulation_by(period, "patron_category", cubes),
        holds(period),
        top_titles(period),
        titles_per_month(period),
        branch_use(period),
        items_now(),
        expunge_runs(period),
    ]


def _items_now(period: Period) -> Table:
    from .collection import items_now

    return items_now()


def _expunge_runs(period: Period) -> Table:
    from .collection import expunge_runs

    return expunge_runs(period)


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


def summary(period: Period) -> Table:
    """The whole library's totals for the period and a year earlier (not suppressed)."""
    now, before = totals(period), totals(period.earlier)
    table = Table(
        "summary",
        "Totals for the whole library",
        ["Figure", "This period", "A year earlier"],
        suppressed=False,
        chart="",
    )
    table.rows = [[label, now[key], before[key]] for key, label in SUMMARY]
    return table


TABLES = {
    "summary": summary,
    "circulation": circulation_over_time,
    "circulation-by-branch": lambda p: circulation_by(p, "branch"),
    "circulation-by-item-type": lambda p: circulation_by(p, "item_type"),
    "circulation-by-patron-category": lambda p: circulation_by(p, "patron_category"),
    "holds": holds,
    "top-titles": top_titles,
    "titles-per-month": titles_per_month,
    "branch-use": branch_use,
    "items-now": _items_now,
    "expunge-runs": _expunge_runs,
}
