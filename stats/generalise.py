"""Statistics tables anonymous at rest: before the expunge removes anything, every row the
counting has added to since the last run is rewritten so that no cell it keeps was made
by fewer than `CALUMET_ANONYMITY_K` patrons (docs/statistics.md, "What the tables keep").

Before the run every record those rows count is still there (the expunge never removed
one since the rows were last rewritten), so the patrons of each cell can be counted from
the records themselves. Each table has a ladder of ever coarser cells; a cell goes up
the ladder until the patrons of what it holds are at least k:

- circulation: day x branch x audience x item type x patron category → day x branch x
  audience (type and category "") → month x branch x audience (the audience of the
  material is kept: the survey's circulation of children's materials adds it up);
- holds, computer use, visits: day x branch → month x branch;
- charges: day x reason → day (reason "") → month;
- titles: month x title → month x "other titles".

The last step of each ladder is kept whatever its size: it is the month's activity at
one branch (the month's patrons at that branch are its anonymity set). Counts are only
moved, never changed, so every total stays the same. The patrons are counted from the
records that name them as the cell's own events (check-outs and returns of loans made at
that branch, holds placed or closed, sessions begun, card scans, charges, payments and
waivers); an event no record tells of counts no patron, which can only make a cell
coarser, never finer.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import DateField, Model, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from circulation.models import (
    ComputerSession,
    Fine,
    FinePayment,
    Hold,
    Loan,
    Visit,
    VisitCount,
)
from core.db import in_values
from stats.counting import reorder_since
from stats.models import (
    ChargeDay,
    CirculationDay,
    ComputerUseDay,
    HoldDay,
    TitleMonth,
)

ALL = ""
#: PostgreSQL's memory for the sorts of the patron counts, for their transaction only.
WORK_MEM = "128MB"


def anonymity_k() -> int:
    return max(settings.CALUMET_ANONYMITY_K, 1)


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _since(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), timezone.get_current_timezone())


@dataclass(frozen=True)
class Ladder:
    """How one table is generalised: its key columns (the date first), the columns that
    count, the records that say which patrons made each finest cell, and the coarser
    keys a cell of too few patrons goes to, in order."""

    model: type[Model]
    key: tuple[str, ...]
    amounts: tuple[str, ...]
    patrons: Callable[[datetime.date], list[QuerySet]]
    steps: tuple[Callable[[tuple], tuple], ...]


# -- who made each finest cell, from the records still there ---------------------------
#
# Each function returns querysets of (finest key..., patron) rows, one per kind of event,
# with the local day (or month) computed by the database; `_cell_patrons` counts each
# cell's patrons over all of them in the database and reads only the patrons of the
# cells under k, so no event is read into Python one by one.


def _day_of(moment: str) -> TruncDate:
    return TruncDate(moment, tzinfo=timezone.get_current_timezone())


def _month_of(moment: str) -> TruncMonth:
    return TruncMonth(moment, output_field=DateField(), tzinfo=timezone.get_current_timezone())


def _events(queryset: QuerySet, moments: Iterable[str], since: datetime.date, *columns: str):
    """One query per moment: the records whose moment is on or after `since`, as (local
    day of that moment, columns...)."""
    return [
        queryset.filter(**{f"{moment}__gte": _since(since)})
        .order_by()
        .annotate(cell_day=_day_of(moment))
        .values_list("cell_day", *columns)
        for moment in moments
    ]


def _circulation_patrons(since: datetime.date) -> list[QuerySet]:
    return _events(
        Loan.objects.all(),
        ("checked_out_at", "returned_at"),
        since,
        "branch_id",
        "item__title__audience",
        "item__item_type",
        "patron__category_id",
        "patron_id",
    )


def _title_patrons(since: datetime.date) -> list[QuerySet]:
    loans = Loan.objects.filter(checked_out_at__gte=_since(_month(since))).order_by()
    return [
        loans.annotate(cell_month=_month_of("checked_out_at")).values_list(
            "cell_month", "item__title_id", "patron_id"
        )
    ]


def _hold_patrons(since: datetime.date) -> list[QuerySet]:
    return _events(
        Hold.objects.all(), ("placed_at", "closed_at"), since, "pickup_branch_id", "patron_id"
    )


def _computer_patrons(since: datetime.date) -> list[QuerySet]:
    return _events(ComputerSession.objects.all(), ("started_at",), since, "branch_id", "patron_id")


def _visit_patrons(since: datetime.date) -> list[QuerySet]:
    return _events(Visit.objects.all(), ("visited_at",), since, "branch_id", "patron_id")


def _charge_patrons(since: datetime.date) -> list[QuerySet]:
    return [
        *_events(
            Fine.objects.all(),
            ("assessed_at", "waived_at", "settled_at"),
            since,
            "reason",
            "patron_id",
        ),
        *_events(FinePayment.objects.all(), ("taken_at",), since, "fine__reason", "patron_id"),
    ]


def _cell_patrons(queries: list[QuerySet], k: int):
    """(finest key, n, its patrons or None) for every cell the events make, n being the
    cell's patrons counted in the database; the patrons are read only for the cells of
    fewer than k (the others stay as they are).

    Each (cell, patron) pair is made distinct, then counted per cell, by hashing rather
    than sorting: at a million loans the sort of every event by its wide key spilled to
    disk and took half of the expunge's statistics step."""
    first, *rest = queries
    union = first.union(*rest, all=True) if rest else first
    sql, params = union.query.sql_with_params()
    width = len(union.query.values_select) + len(union.query.annotation_select) - 1
    names = [f"c{i}" for i in range(width)]
    cell = ", ".join(names)
    connection = connections[union.db]
    if connection.vendor == "postgresql":
        listed = "string_agg(p::text, ',')"
    else:
        listed = "group_concat(p, ',')"
    query = (
        f"WITH u ({cell}, p) AS ({sql}), "  # noqa: S608 (column names of ours)
        f"pairs AS (SELECT {cell}, p FROM u GROUP BY {cell}, p) "
        f"SELECT {cell}, COUNT(*), CASE WHEN COUNT(*) < %s THEN {listed} END "
        f"FROM pairs GROUP BY {cell}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # The pairs are hashed in memory, not sorted on disk.
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(query, (*params, k))
        while chunk := cursor.fetchmany(5000):  # a month of titles is 300,000 cells
            for day, *rest_of_key, n, patrons in chunk:
                listed = [int(p) for p in patrons.split(",")] if patrons else None
                yield (_as_date(day), *rest_of_key), n, listed


def _as_date(value) -> datetime.date:
    """A truncated moment as the database hands it over in raw SQL: a date (PostgreSQL's
    local day), a timestamp (its month) or text (SQLite)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def _day_to_month(key: tuple) -> tuple:
    return (_month(key[0]), *key[1:])


LADDERS = (
    Ladder(
        CirculationDay,
        ("day", "branch_id", "audience", "item_type", "patron_category"),
        ("checkouts", "renewals", "returns"),
        _circulation_patrons,
        (
            lambda k: (k[0], k[1], k[2], ALL, ALL),
            lambda k: (_month(k[0]), k[1], k[2], ALL, ALL),
        ),
    ),
    Ladder(
        TitleMonth,
        ("month", "title_id"),
        ("checkouts",),
        _title_patrons,
        (lambda k: (k[0], None),),
    ),
    Ladder(
        HoldDay,
        ("day", "branch_id"),
        ("placed", "filled", "cancelled", "expired"),
        _hold_patrons,
        (_day_to_month,),
    ),
    Ladder(
        ComputerUseDay,
        ("day", "branch_id"),
        ("sessions", "minutes"),
        _computer_patrons,
        (_day_to_month,),
    ),
    Ladder(VisitCount, ("day", "branch_id"), ("count",), _visit_patrons, (_day_to_month,)),
    Ladder(
        ChargeDay,
        ("day", "reason"),
        ("charged", "amount_charged", "amount_paid", "amount_waived"),
        _charge_patrons,
        (lambda k: (k[0], ALL), lambda k: (_month(k[0]), ALL)),
    ),
)


def place(cells: dict[tuple, set], steps, k: int, big: set = frozenset()) -> dict[tuple, tuple]:
    """Where each finest cell's counts go: the first key of its ladder (itself, then each
    step) at which the patrons of everything that goes there are at least k; the last
    step takes what is left. `cells`: {finest key: its patrons}; `big`: cells already
    known to have k patrons or more (their patrons need not be listed)."""
    where = {}
    waiting = dict(cells)
    # Level 0: the cell itself.
    for key, patrons in cells.items():
        if key in big or len(patrons) >= k:
            where[key] = key
            del waiting[key]
    for n, step in enumerate(steps):
        last = n == len(steps) - 1
        groups: dict[tuple, list[tuple]] = defaultdict(list)
        for key in waiting:
            groups[step(key)].append(key)
        for target, keys in groups.items():
            patrons = set().union(*(cells[key] for key in keys))
            if last or len(patrons) >= k:
                for key in keys:
                    where[key] = target
                    del waiting[key]
    return where


def _generalise(ladder: Ladder, k: int) -> datetime.date | None:
    """Rewrite the table's rows not yet generalised; returns the earliest date written."""
    model = ladder.model
    fresh = model.objects.filter(generalised=False)
    rows = list(fresh.values_list(*ladder.key, *ladder.amounts))
    if not rows:
        return None
    width = len(ladder.key)
    since = min(row[0] for row in rows)
    keys = {row[:width] for row in rows}
    cells: dict[tuple, set] = {key: set() for key in keys}
    big = set()
    for key, n, patrons in _cell_patrons(ladder.patrons(since), k):
        if key not in cells:
            continue
        if n >= k:
            big.add(key)
        else:
            cells[key].update(patrons)
    where = place(cells, ladder.steps, k, big=big)
    merged: dict[tuple, list] = {}
    for row in rows:
        target = where[row[:width]]
        sums = merged.setdefault(target, [0] * len(ladder.amounts))
        for i, value in enumerate(row[width:]):
            sums[i] += value
    # Add what was there already under the same generalised keys, then write each once.
    dates = sorted({target[0] for target in merged})
    date_column = ladder.key[0]
    kept = model.objects.filter(generalised=True, **{f"{date_column}__in": dates})
    replaced = []
    for pk, *row in kept.values_list("pk", *ladder.key, *ladder.amounts).iterator(5000):
        sums = merged.get(tuple(row[:width]))
        if sums is not None:
            replaced.append(pk)
            for i, value in enumerate(row[width:]):
                sums[i] += value
    if replaced:
        old = model.objects.filter(pk__in=in_values(replaced))
        old._raw_delete(old.db)
    fresh._raw_delete(fresh.db)
    model.objects.bulk_create(
        [
            model(
                generalised=True,
                **dict(zip(ladder.key, target, strict=True)),
                **dict(zip(ladder.amounts, merged[target], strict=True)),
            )
            for target in sorted(merged, key=_sort_key)
        ],
        batch_size=1000,
    )
    return min(target[0] for target in merged)


def _sort_key(key: tuple) -> tuple:
    return tuple((value is None, "" if value is None else value) for value in key)


def generalise(*, now=None) -> int:
    """Rewrite every statistics row not yet generalised (called by the expunge before it
    removes anything), then every row from the earliest date written on in key order
    (`counting.reorder_since`), so that no row's id or place says it was just merged.
    Returns the rows rewritten."""
    k = anonymity_k()
    written = [day for day in (_generalise(ladder, k) for ladder in LADDERS) if day]
    return reorder_since(min(written)) if written else 0
