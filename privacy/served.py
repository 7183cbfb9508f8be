"""The patron's own transactions in the audit log, reduced with their records.

An access entry written while the patron is served (the desk serving them, a kiosk, their
own portal pages and sign-in: `privacy.access.served_by`) is the circulation event itself:
who, where, when, which desk. Once the expunge removes records of that patron, their
transaction entries written before the run are reduced to one entry per patron, month and
channel, with no reader, branch, page, counts, time or address (docs/audit.md,
"Transactions and looks"). A staff look outside a transaction is kept as it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.fields.json import KT
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.db import in_values
from privacy.access import insert_entries
from privacy.models import LegalHold
from privacy.registry import registry

#: The key of an entry reduced to its month: {"patron": id, "served": channel, "month":
#: "2026-10"}, stamped at the month's first local midnight, with no reader, branch, page,
#: counts or address.
MONTH = "month"
PATRON = "patron"
SERVED = "served"


def _month_start(moment) -> datetime.datetime:
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def reduce_served(patron_ids: Iterable[int], *, before: datetime.datetime) -> set:
    """Reduce these patrons' transaction entries written before `before` (the desk serving
    them, a kiosk, their own portal pages and sign-ins) to one entry per patron, month
    and channel, with nothing finer than the month: called in the expunge's transaction
    that removes records of theirs, so no entry outlives them with a branch, a page, a
    minute, counts or a client address that the kept statistics could be joined with.

    Returns the months touched; `rewrite_months` then rewrites them in key order, so that
    neither the entries' ids nor their place in the table tell when they were reduced.
    A staff look outside a transaction (no "served" key) is left as it is."""
    patron_ids = {int(pk) for pk in patron_ids}
    # A patron under a legal hold keeps the detail until it is released: the entries may
    # be about the records a court asked to keep (the run after the release reduces them,
    # with the records).
    patron_ids -= set(
        LegalHold.objects.filter(
            patron_id__in=in_values(list(patron_ids)), released_at__isnull=True
        ).values_list("patron_id", flat=True)
    )
    if not patron_ids:
        return set()
    fine = (
        LogEntry.objects.filter(
            additional_data__patron__in=in_values(sorted(patron_ids), json=True),
            timestamp__lt=before,
            additional_data__has_key=SERVED,
        )
        # (has_key first: a JSON key that is missing compares as NULL, not as false.)
        .exclude(additional_data__has_key=MONTH)
        .order_by()
    )
    if connection.vendor == "postgresql":
        return _reduce_in_place(fine)
    # The keys the entries are reduced to, computed and deduplicated by the database; then
    # the entries deleted by the same filter (no list of ids goes back and forth).
    months = fine.annotate(
        entry_month=TruncMonth("timestamp", tzinfo=timezone.get_current_timezone()),
        entry_patron=KT(f"additional_data__{PATRON}"),
        entry_channel=KT(f"additional_data__{SERVED}"),
    ).values_list("entry_month", "entry_patron", "entry_channel")
    keys = {(month, int(patron), str(channel)) for month, patron, channel in months.distinct()}
    if not keys:
        return set()
    fine._raw_delete(fine.db)
    _insert_month_entries(sorted(keys))
    return {month for month, _, _ in keys}


def _reduce_in_place(fine) -> set:
    """`reduce_served`'s reduction in one statement, for PostgreSQL: the entries deleted,
    the month entries their keys give written in key order, and the months touched
    returned, without the keys' round trip through Python (a run reduces a few hundred
    patrons' entries four hundred times). The month and its first local midnight are
    the library's time zone's, as `TruncMonth` gives them on SQLite."""
    sql, params = fine.values("pk").query.sql_with_params()
    table = LogEntry._meta.db_table
    patron_type = ContentType.objects.get_for_model(registry.get("patron").model)
    zone = timezone.get_current_timezone_name()
    write = _write_month_entries(
        "keys",
        month="to_char(local_month, 'YYYY-MM')",
        stamp="local_month AT TIME ZONE %s",
        order="local_month",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH gone AS (
                DELETE FROM {table} WHERE id IN ({sql})
                RETURNING date_trunc('month', "timestamp" AT TIME ZONE %s) AS local_month,
                    (additional_data ->> 'patron')::bigint AS patron,
                    additional_data ->> 'served' AS channel
            ), keys AS (
                SELECT DISTINCT local_month, patron, channel FROM gone
            ), written AS ({write} RETURNING "timestamp")
            SELECT DISTINCT "timestamp" FROM written""",  # noqa: S608 (Django's SQL; values are parameters)
            [*params, zone, patron_type.pk, LogEntry.Action.ACCESS, zone],
        )
        return {row[0] for row in cursor.fetchall()}


def rewrite_months(months: Iterable[datetime.datetime]) -> int:
    """Delete and write again, in key order (month, patron, channel) and without
    duplicates, every month entry of these months."""
    months = sorted(set(months))
    if not months:
        return 0
    entries = LogEntry.objects.filter(
        timestamp__in=months, additional_data__has_key=MONTH, action=LogEntry.Action.ACCESS
    )
    if connection.vendor == "postgresql":
        return _rewrite_months_in_place(entries)
    keys = {
        (_month_start(stamp), int(data["patron"]), str(data["served"]))
        for stamp, data in entries.values_list("timestamp", "additional_data").iterator()
    }
    entries._raw_delete(entries.db)
    _insert_month_entries(sorted(keys))
    return len(keys)


def _rewrite_months_in_place(entries) -> int:
    """`rewrite_months` in one statement, for PostgreSQL: the month entries deleted and
    the same entries written again in key order, without the round trip of every entry
    through Python (a night's run rewrites tens of thousands)."""
    sql, params = entries.values("pk").query.sql_with_params()
    table = LogEntry._meta.db_table
    patron_type = ContentType.objects.get_for_model(registry.get("patron").model)
    write = _write_month_entries("kept", month="month", stamp='"timestamp"', order='"timestamp"')
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH gone AS (
                DELETE FROM {table} WHERE id IN ({sql})
                RETURNING "timestamp", (additional_data ->> 'patron')::bigint AS patron,
                    additional_data ->> 'served' AS channel, additional_data ->> 'month' AS month
            ), kept AS (
                SELECT "timestamp", patron, channel, min(month) AS month FROM gone
                GROUP BY "timestamp", patron, channel
            )
            {write}
            """,  # noqa: S608 (the table's name and Django's own SQL; values are parameters)
            [*params, patron_type.pk, LogEntry.Action.ACCESS],
        )
        return cursor.rowcount


def _write_month_entries(source: str, *, month: str, stamp: str, order: str) -> str:
    """SQL: the month entries of `source`'s rows (patron, channel and the columns that
    `month`, `stamp` and `order` name), inserted in key order; its two parameters are the
    patron's content type and the action (ACCESS), then any of `stamp`'s."""
    return f"""INSERT INTO {LogEntry._meta.db_table} (content_type_id, object_pk, object_id,
            object_repr, action, actor_id, actor_email, remote_addr, additional_data,
            "timestamp", changes_text)
        SELECT %s, patron::text, patron, 'Patron #' || patron, %s, NULL, NULL, NULL,
            jsonb_build_object('patron', patron, 'served', channel, 'month', {month}),
            {stamp}, ''
        FROM {source} ORDER BY {source}.{order}, {source}.patron, {source}.channel COLLATE "C"
    """  # noqa: S608 (column names and expressions of ours, not input)


def _insert_month_entries(keys: list[tuple]) -> None:
    patron_type = ContentType.objects.get_for_model(registry.get("patron").model)
    insert_entries(
        [
            {
                "content_type_id": patron_type.pk,
                "object_pk": str(patron),
                "object_id": patron,
                "object_repr": f"Patron #{patron}",
                "action": LogEntry.Action.ACCESS,
                "actor_id": None,
                "actor_email": None,
                "remote_addr": None,
                "additional_data": {
                    "patron": patron,
                    "served": channel,
                    MONTH: f"{month:%Y-%m}",
                },
                "timestamp": month,
                "changes_text": "",
            }
            for month, patron, channel in keys
        ]
    )
