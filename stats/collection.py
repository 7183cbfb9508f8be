"""Figures about the collection and the expunge: copies lost, missing and on loan today
(from each copy's status, never from the loans), and what each expunge run removed."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count
from django.utils import timezone

from circulation.models import Item
from patrons.models import ExpungeRun

from .figures import Table, branch_names
from .period import Period


def items_now() -> Table:
    """Copies lost, missing and on loan today, from each copy's status."""
    names = branch_names()
    wanted = [Item.Status.LOST, Item.Status.MISSING, Item.Status.ON_LOAN]
    counts: dict = defaultdict(dict)
    rows = (
        Item.objects.filter(status__in=wanted).values("branch_id", "status").annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["branch_id"]][row["status"]] = row["n"]
    table = Table(
        "items-now",
        "Copies lost, missing and on loan today",
        ["Branch", "Lost", "Missing", "On loan"],
        suppressed=False,
        series=(1, 2),
        note="Overdue copies are not counted here: see docs/statistics.md.",
    )
    for branch_id in sorted(counts, key=lambda b: names.get(b, "")):
        table.rows.append(
            [names.get(branch_id, str(branch_id))] + [counts[branch_id].get(s, 0) for s in wanted]
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
        suppressed=False,
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
