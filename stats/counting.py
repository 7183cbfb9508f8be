"""Adding events to the anonymous statistics tables (`stats/models.py`).

Circulation's services send a signal for each event (`circulation/signals.py`); the
receivers (`stats/receivers.py`) call these inside the service's own transaction, so an
event and its count commit or roll back together. Each function names only what the
statistics keep: the local day (or month), the branch, the audience and type of the
material, the patron category, the title or the charge reason — never the patron, the
staff member or the record.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from circulation.models import Item, VisitCount
from stats.models import (
    DAY_TABLES,
    ChargeDay,
    CirculationDay,
    ComputerUseDay,
    HoldDay,
    HoldWait,
    OverdueDay,
    TitleMonth,
)

#: A hold that waited longer than this counts as having waited this long.
MAX_WAIT_DAYS = 365


def _add(model: type[Model], key: dict, **amounts) -> None:
    """Add `amounts` to the row of `key`, creating it on the first event of its day: one
    INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite), which two desks can run at
    once. Every table here has a unique constraint on exactly its key's columns."""
    meta = model._meta
    values = {}
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        for name in (field.name, field.attname):
            if name in key:
                values[field] = key[name]
                break
            if name in amounts:
                values[field] = amounts[name]
                break
        else:
            values[field] = field.get_default()
    keys = {meta.get_field(name).column for name in key}
    if any(field.name == "generalised" for field in meta.concrete_fields):
        keys.add("generalised")  # the counting adds to the rows not yet generalised
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(field.column) for field in values)
    increments = ", ".join(
        f"{quote(field.column)} = {table}.{quote(field.column)} + EXCLUDED.{quote(field.column)}"
        for field in values
        if field.name in amounts or field.attname in amounts
    )
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(values))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(quote(column) for column in sorted(keys))}) "
        f"DO UPDATE SET {increments}"
    )
    params = [field.get_db_prep_save(value, connection) for field, value in values.items()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _day(now: datetime.datetime) -> datetime.date:
    return timezone.localdate(now)


def _month(now: datetime.datetime) -> datetime.date:
    return _day(now).replace(day=1)


def _circulation_key(item: Item, branch_id: int, patron_category: str, now) -> dict:
    return {
        "day": _day(now),
        "branch_id": branch_id,
        # The material's audience (its title's), never the borrower's.
        "audience": item.title.audience,
        "item_type": item.item_type,
        "patron_category": patron_category,
    }


def checkout(*, item: Item, branch_id: int, patron_category: str, now) -> None:
    _add(CirculationDay, _circulation_key(item, branch_id, patron_category, now), checkouts=1)
    _add(TitleMonth, {"month": _month(now), "title_id": item.title_id}, checkouts=1)


def renewal(*, item: Item, branch_id: int, patron_category: str, now) -> None:
    _add(CirculationDay, _circulation_key(item, branch_id, patron_category, now), renewals=1)


def checkin(*, item: Item, branch_id: int, patron_category: str, now) -> None:
    _add(CirculationDay, _circulation_key(item, branch_id, patron_category, now), returns=1)


def hold_event(*, branch_id: int, event: str, now, placed_at=None) -> None:
    """`event`: placed, filled, cancelled or expired. A filled hold also counts its wait."""
    _add(HoldDay, {"day": _day(now), "branch_id": branch_id}, **{event: 1})
    if event == "filled" and placed_at is not None:
        waited = min(max((_day(now) - _day(placed_at)).days, 0), MAX_WAIT_DAYS)
        _add(
            HoldWait,
            {"month": _month(now), "branch_id": branch_id, "wait_days": waited},
            filled=1,
        )


def charge(*, reason: str, now, charged: Decimal = Decimal(0), paid=Decimal(0), waived=Decimal(0)):
    amounts = {}
    if charged:
        amounts.update(charged=1, amount_charged=charged)
    if paid:
        amounts["amount_paid"] = paid
    if waived:
        amounts["amount_waived"] = waived
    if amounts:
        _add(ChargeDay, {"day": _day(now), "reason": reason}, **amounts)


def computer_use(*, branch_id: int, started_at, ended_at) -> None:
    minutes = max(int((ended_at - started_at).total_seconds() // 60), 0)
    _add(
        ComputerUseDay,
        {"day": _day(started_at), "branch_id": branch_id},
        sessions=1,
        minutes=minutes,
    )


def visit(*, branch_id: int, now, count: int = 1) -> None:
    """Visits at a branch's door: one card scan, or a gate counter's total for the day."""
    _add(VisitCount, {"day": _day(now), "branch_id": branch_id}, count=count)


def overdue_counted(*, day: datetime.date, counts: dict[int, int]) -> None:
    """The copies overdue at the end of `day` per branch that owns them, as that day's
    rows of `OverdueDay` (counted again the same day, they replace the count)."""
    with transaction.atomic():
        OverdueDay.objects.filter(day=day).delete()
        OverdueDay.objects.bulk_create(
            [
                OverdueDay(day=day, branch_id=branch_id, overdue=n)
                for branch_id, n in sorted(counts.items())
            ]
        )


def key_order(model: type[Model]) -> list[str]:
    """The model's ordering by its own columns (a link by its id, not by what it points
    to): the order the rewritten rows take, on either database."""
    order = []
    for name in model._meta.ordering:
        field = model._meta.get_field(name.lstrip("-"))
        column = field.attname if field.is_relation else field.name
        order.append(("-" if name.startswith("-") else "") + column)
    return order


def reorder_since(day: datetime.date) -> int:
    """Rewrite every statistics row from `day` (its month, for monthly tables) on: deleted
    and inserted again in key order, in one transaction.

    A row is created by the first event of its day and updated by the next ones, so its
    id, its place in the table's files and (PostgreSQL) the transaction id stamped on it
    tell when that happened — which a patron's own records, still kept, could be matched
    against. After the rewrite they only tell the order of the keys. Returns the rows."""
    rewritten = 0
    with transaction.atomic():
        for app, name, column in DAY_TABLES:
            model = apps.get_model(app, name)
            since = day.replace(day=1) if column == "month" else day
            if connection.vendor == "postgresql":
                rewritten += _rewrite_in_one_statement(model, column, since)
                continue
            rows = model.objects.filter(**{f"{column}__gte": since})
            fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
            keep = list(rows.order_by(*key_order(model)).values(*fields))
            if not keep:
                continue
            rows._raw_delete(rows.db)
            model.objects.bulk_create([model(**row) for row in keep], batch_size=1000)
            rewritten += len(keep)
    return rewritten


def _rewrite_in_one_statement(model: type[Model], column: str, since: datetime.date) -> int:
    """PostgreSQL: the same rewrite without loading the rows into Python (a backlog's
    first run rewrites every row of a large library's statistics): the rows deleted are
    inserted again from the DELETE's RETURNING, sorted by key, taking new ids in order."""
    meta = model._meta
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in meta.concrete_fields if not f.primary_key)
    order = ", ".join(
        quote(meta.get_field(key.lstrip("-")).column) + (" DESC" if key.startswith("-") else "")
        for key in meta.ordering
    )
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} WHERE {quote(column)} >= %s "  # noqa: S608
            f"RETURNING {names}) INSERT INTO {table} ({names}) "
            f"SELECT {names} FROM gone ORDER BY {order}",
            [since],
        )
        return cursor.rowcount


def after_expunge(touched, now) -> None:
    """After an expunge: rewrite the statistics rows from the earliest day the removed
    records began, so no row kept says (by its place, id or PostgreSQL transaction id)
    that it changed together with a record that is gone. (Circulation stamps the copies
    and programs they pointed at: `circulation.records`.)"""
    if touched.since is not None:
        reorder_since(touched.since)
