"""Figures about the collection and the expunge: copies overdue, lost and missing now
(the worker's nightly count of overdue copies, and each copy's status, never the
loans), and what each expunge run removed."""

from __future__ import annotations

import datetime

from django.db.models import Count, Max
from django.utils import timezone

from circulation.models import Item
from privacy.models import ExpungeRun
from stats.models import OverdueDay
from stats.period import Period
from stats.tables import Table, branch_names

STATUSES = (Item.Status.LOST, Item.Status.MISSING, Item.Status.ON_LOAN)


def overdue_counted_on() -> datetime.date | None:
    """The day of the latest overdue count (the worker counts every night)."""
    return OverdueDay.objects.filter(day__lte=timezone.localdate()).aggregate(d=Max("day"))["d"]


def items_now() -> Table:
    """Copies overdue (as last counted), lost, missing and on loan, per branch."""
    names = branch_names()
    counts: dict = {}
    rows = (
        Item.objects.filter(status__in=STATUSES)
        .values("branch_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts.setdefault(row["branch_id"], {})[row["status"]] = row["n"]
    day = overdue_counted_on()
    if day is not None:
        for branch_id, n in OverdueDay.objects.filter(day=day).values_list("branch_id", "overdue"):
            counts.setdefault(branch_id, {})["overdue"] = n
    counted = f"counted {day:%Y-%m-%d}" if day else "not counted yet"
    table = Table(
        "items-now",
        "Copies overdue, lost and missing now",
        ["Branch", f"Overdue ({counted})", "Lost", "Missing", "On loan"],
        series=(1, 2),
        note="Overdue copies are counted by the worker every night; lost, missing and on"
        " loan are each copy's status now.",
    )
    for branch_id in sorted(counts, key=lambda b: names.get(b, "")):
        found = counts[branch_id]
        table.rows.append(
            [
                names.get(branch_id, str(branch_id)),
                found.get("overdue", 0),
                *(found.get(status, 0) for status in STATUSES),
            ]
        )
    return table


def _removed(value) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return sum(
            v for k, v in value.items() if k in ("expunged", "anonymised") and isinstance(v, int)
        )
    return 0


def expunge_runs(period: Period) -> Table:
    first, after = period.bounds()
    runs = list(
        ExpungeRun.objects.filter(started_at__gte=first, started_at__lt=after, dry_run=False)
        .order_by("started_at")
        .values_list("started_at", "counts")
    )
    kinds = sorted({kind for _, counts in runs for kind in (counts or {})})
    table = Table(
        "expunge-runs",
        "Records removed by each expunge run",
        ["Run", *kinds, "In all"],
        adds_up="rows",
        chart="columns",
        series=(len(kinds) + 1,),
        note="Records expunged or anonymised, per kind of record.",
    )
    for started_at, counts in runs:
        values = [_removed((counts or {}).get(kind)) for kind in kinds]
        table.rows.append(
            [timezone.localtime(started_at).strftime("%Y-%m-%d %H:%M"), *values, sum(values)]
        )
    return table
