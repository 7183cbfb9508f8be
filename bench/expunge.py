"""The expunge, ours against the same work in plain SQL on an identical copy.

Ours is `privacy.retention.expunge()`, as the nightly task runs it: batches in their own
transactions, rows locked and re-checked inside each, legal holds honoured. The plain SQL
does the same conversion in one statement per kind, with no batches and no locks: it
deletes the due records of every kind (registrations with their cards and every record
left of them), with every audit entry about them (content type + object_pk) and, for the
registrations, every entry naming the patron; then touches the copies and programs the
removed records pointed at and rewrites the statistics rows of every day from the
earliest one a removed record began (delete + insert in key order). Like ours, it first
generalises the statistics cells of fewer than k patrons while every record is there, and
reduces the transaction entries of the patrons whose records it removes to one per
month and channel (`bench.plain_sql`). Both outcomes are counted and must be identical
(rows left, audit entries, the transaction entries left in detail and those of a month
with a digest of them, the statistics' sums, and each statistics table's rows with a
digest of their keys and counts); the ratio is what our safety costs. VACUUM is timed on
its own (the same for both). The plain SQL does not decode sessions (it cannot); ours
does, over the handful the bench's browsers left.
"""

from __future__ import annotations

import datetime
import time

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql as pgsql

from bench.data import RETENTION_DAYS
from bench.plain_sql import LADDERS, generalise_statements, reduce_statement
from privacy.retention import expunge
from stats.generalise import anonymity_k

ACTIVE_HOLD = "('placed', 'in_transit', 'waiting')"
NOT_HELD = """NOT EXISTS (SELECT 1 FROM patrons_legalhold lh
    WHERE lh.patron_id = {alias}.patron_id AND lh.released_at IS NULL)"""
DOOMED = "(SELECT id FROM doomed)"
#: The statements that remove a registration's records, cards and trail: ours counts the
#: registrations only, so the plain SQL counts them once, at the end.
UNCOUNTED = "patron: records, cards, trail"
#: The steps that remove no record of their own (ours counts none of theirs either).
GENERALISED = "statistics generalised"
REDUCED = "transaction entries reduced"
NOT_COUNTED = ("after", UNCOUNTED, GENERALISED, REDUCED)


def _ct(app: str, model: str) -> str:
    return f"(SELECT id FROM django_content_type WHERE app_label = '{app}' AND model = '{model}')"


def _removed(
    app: str,
    model: str,
    where: str,
    began: str,
    refs: str = "NULL, NULL",
    patron: str = "t.patron_id",
) -> str:
    """DELETE the rows of `app_model` (alias t) matching `where`, with their audit trail;
    remember what they pointed at (item, program), when they began and whose they were;
    count them."""
    return f"""WITH gone AS (DELETE FROM {app}_{model} t WHERE {where}
            RETURNING t.id, {refs}, {began}, {patron} AS patron_id),
        trail AS (DELETE FROM auditlog_logentry e USING gone
            WHERE e.content_type_id = {_ct(app, model)} AND e.object_pk = gone.id::text),
        noted AS (INSERT INTO touched SELECT * FROM gone)
        SELECT count(*) FROM gone"""


#: kind -> (app, model, began, refs as "item, program").
NO_REFS = "NULL::bigint, NULL::bigint"
KINDS = {
    "patron_block": ("patrons", "patronblock", "t.starts_at", NO_REFS),
    "loan": ("circulation", "loan", "t.checked_out_at", "t.item_id, NULL::bigint"),
    "hold": ("circulation", "hold", "t.placed_at", "t.item_id, NULL::bigint"),
    "fine": ("circulation", "fine", "t.assessed_at", NO_REFS),
    "program_registration": (
        "circulation",
        "programregistration",
        "t.registered_at",
        "NULL::bigint, t.program_id",
    ),
    "visit": ("circulation", "visit", "t.visited_at", NO_REFS),
    "computer_session": (
        "circulation",
        "computersession",
        "t.started_at",
        NO_REFS,
    ),
}


def statistics_tables() -> list[tuple[str, str, list[str], str]]:
    """(table, date column, other columns, key order) of the tables the expunge rewrites."""

    from stats.models import DAY_TABLES  # noqa: PLC0415 (after django.setup())

    found = []
    for app, name, column in DAY_TABLES:
        meta = apps.get_model(app, name)._meta
        columns = [f.column for f in meta.concrete_fields if not f.primary_key]
        order = [
            meta.get_field(key.lstrip("-")).column + (" DESC" if key.startswith("-") else "")
            for key in meta.ordering
        ]
        found.append((meta.db_table, column, columns, ", ".join(order)))
    return found


def _reorder(table: str, column: str, columns: list[str], order: str) -> str:
    """Every row from the earliest touched day (its month for monthly tables) deleted and
    inserted again in key order (new ids in that order), in one statement."""
    since = "(SELECT (min(began) AT TIME ZONE {tz})::date FROM touched)"
    if column == "month":
        since = f"date_trunc('month', {since})::date"
    names = ", ".join(columns)
    return f"""WITH gone AS (DELETE FROM {table} WHERE {column} >= {since}
            RETURNING {names})
        INSERT INTO {table} ({names}) SELECT {names} FROM gone ORDER BY {order}"""


def raw_statements(now: datetime.datetime) -> list[tuple[str, str]]:
    """(label, SQL) in the engine's order. The bench's legal holds cover every kind and
    every date, so "not held" is "no unreleased hold on the patron"."""
    cutoff = now - datetime.timedelta(days=RETENTION_DAYS)
    patron_cutoff = now - datetime.timedelta(days=730)
    audit_cutoff = now - datetime.timedelta(days=365)
    today = timezone.localdate(now)
    p = {
        "now": now,
        "cutoff": cutoff,
        "patron_cutoff": patron_cutoff,
        "audit_cutoff": audit_cutoff,
        "today": today,
        "tz": settings.TIME_ZONE,
    }

    def sql(text: str):
        return pgsql.SQL(text).format(**{k: pgsql.Literal(v) for k, v in p.items()})

    def removed(kind: str, where: str) -> tuple[str, pgsql.Composed]:
        app, model, began, refs = KINDS[kind]
        return kind, sql(_removed(app, model, where, began, refs))

    loan_due = (
        "t.returned_at IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM circulation_fine f WHERE f.loan_id = t.id "
        "AND f.settled_at IS NULL) "
        "AND GREATEST(t.returned_at, COALESCE((SELECT max(f.settled_at) FROM "
        "circulation_fine f WHERE f.loan_id = t.id), t.returned_at)) <= {cutoff} "
        "AND NOT EXISTS (SELECT 1 FROM patrons_patron p WHERE p.id = t.patron_id "
        "AND p.keep_reading_history) AND " + NOT_HELD.format(alias="t")
    )
    not_held = NOT_HELD.format(alias="t")
    of_doomed = f"t.patron_id IN {DOOMED}"
    return [
        (
            "setup",
            sql(
                "CREATE TEMP TABLE touched (id bigint, item_id bigint, program_id bigint, "
                "began timestamptz, patron_id bigint)"
            ),
        ),
        # As in the engine: the statistics cells of fewer than k patrons generalised
        # while every record they count is there (stats/generalise.py).
        *[
            (GENERALISED, sql(statement))
            for ladder in LADDERS
            for statement in generalise_statements(ladder, anonymity_k())
        ],
        # As in the engine: entries past the audit log's retention go first.
        ("audit_entry", sql("DELETE FROM auditlog_logentry WHERE timestamp < {audit_cutoff}")),
        removed(
            "patron_block",
            "COALESCE(t.lifted_at, t.ends_at) <= {cutoff} AND NOT (t.lifted_at IS NULL "
            "AND (t.ends_at IS NULL OR t.ends_at > {now})) AND " + not_held,
        ),
        # A fine keeps its loan until the loan goes (Django sets it to NULL then).
        (
            "loan",
            sql(
                _removed("circulation", "loan", loan_due, *KINDS["loan"][2:]).replace(
                    "noted AS",
                    "unlinked AS (UPDATE circulation_fine f SET loan_id = NULL FROM gone "
                    "WHERE f.loan_id = gone.id), noted AS",
                )
            ),
        ),
        removed(
            "hold", f"t.status NOT IN {ACTIVE_HOLD} AND t.closed_at <= {{cutoff}} AND {not_held}"
        ),
        removed("fine", f"t.settled_at <= {{cutoff}} AND {not_held}"),
        removed(
            "program_registration",
            "COALESCE(t.cancelled_at, (SELECT pr.ends_at FROM circulation_program pr "
            "WHERE pr.id = t.program_id)) <= {cutoff} AND NOT (t.status <> 'cancelled' AND "
            "(SELECT pr.ends_at FROM circulation_program pr WHERE pr.id = t.program_id) > "
            "{now}) AND " + not_held,
        ),
        removed("visit", f"t.visited_at <= {{cutoff}} AND {not_held}"),
        removed(
            "computer_session",
            f"t.ended_at IS NOT NULL AND t.ended_at <= {{cutoff}} AND {not_held}",
        ),
        # The patrons' own transaction entries, reduced with their records
        # (privacy/served.py; a removed patron's go with the patron, below).
        (REDUCED, sql(reduce_statement())),
        (
            "patron",
            sql(
                f"""CREATE TEMP TABLE doomed AS SELECT p.id FROM patrons_patron p
                WHERE p.card_expires_on < {{today}}
                AND GREATEST(p.card_expires_on::timestamptz + interval '2 days',
                             COALESCE(p.last_activity_at + interval '1 day',
                                      p.registered_at)) <= {{patron_cutoff}}
                AND NOT EXISTS (SELECT 1 FROM circulation_loan l WHERE l.patron_id = p.id
                    AND (l.returned_at IS NULL OR EXISTS (SELECT 1 FROM circulation_fine f
                         WHERE f.loan_id = l.id AND f.settled_at IS NULL)))
                AND NOT EXISTS (SELECT 1 FROM circulation_fine f WHERE f.patron_id = p.id
                    AND f.settled_at IS NULL)
                AND NOT EXISTS (SELECT 1 FROM circulation_hold h WHERE h.patron_id = p.id
                    AND h.status IN {ACTIVE_HOLD})
                AND NOT EXISTS (SELECT 1 FROM circulation_computersession s
                    WHERE s.patron_id = p.id AND s.ended_at IS NULL)
                AND NOT EXISTS (SELECT 1 FROM circulation_programregistration r
                    JOIN circulation_program pr ON pr.id = r.program_id
                    WHERE r.patron_id = p.id AND r.status <> 'cancelled'
                    AND pr.ends_at > {{now}})
                AND NOT EXISTS (SELECT 1 FROM patrons_patronblock b WHERE b.patron_id = p.id
                    AND b.lifted_at IS NULL AND (b.ends_at IS NULL OR b.ends_at > {{now}}))
                AND NOT EXISTS (SELECT 1 FROM patrons_legalhold lh
                    WHERE lh.patron_id = p.id AND lh.released_at IS NULL)"""
            ),
        ),
        *[
            (UNCOUNTED, sql(_removed(*KINDS[kind][:2], of_doomed, *KINDS[kind][2:])))
            for kind in (
                "patron_block",
                "fine",
                "loan",
                "hold",
                "program_registration",
                "visit",
                "computer_session",
            )
        ],
        (
            UNCOUNTED,
            sql(
                "DELETE FROM auditlog_logentry WHERE (additional_data -> 'patron') "
                "IN (SELECT to_jsonb(id) FROM doomed)"
            ),
        ),
        (
            UNCOUNTED,
            sql(_removed("patrons", "card", of_doomed, "t.issued_at", NO_REFS)),
        ),
        (
            UNCOUNTED,
            sql(
                _removed(
                    "patrons", "patron", f"t.id IN {DOOMED}", "NULL::timestamptz", NO_REFS, "t.id"
                )
            ),
        ),
        ("patron", sql("SELECT count(*) FROM doomed")),
        (
            "after",
            sql(
                "UPDATE circulation_item SET circulation_count = circulation_count "
                "WHERE id IN (SELECT item_id FROM touched)"
            ),
        ),
        (
            "after",
            sql(
                "UPDATE circulation_program SET attendance_count = attendance_count "
                "WHERE id IN (SELECT program_id FROM touched)"
            ),
        ),
        *[("after", sql(_reorder(*table))) for table in statistics_tables()],
        ("side_copies", sql("DELETE FROM django_session WHERE expire_date < {now}")),
    ]


GENERALISED_TABLES = [(ladder.table, (*ladder.keys, *ladder.amounts)) for ladder in LADDERS]


def _rows_digest(table: str, columns: tuple[str, ...]) -> str:
    """The rows, those generalised, and a digest of every row's key and counts."""
    row = f"concat_ws('|', {', '.join(columns)}, generalised)"
    return (
        f"SELECT count(*), count(*) FILTER (WHERE generalised), "
        f"md5(string_agg({row}, ',' ORDER BY {row})) FROM {table}"
    )


OUTCOME = {
    "loans": "SELECT count(*) FROM circulation_loan",
    "fines": "SELECT count(*) FROM circulation_fine",
    "fines on a loan": "SELECT count(*) FROM circulation_fine WHERE loan_id IS NOT NULL",
    "holds": "SELECT count(*) FROM circulation_hold",
    "visits": "SELECT count(*) FROM circulation_visit",
    "computer sessions": "SELECT count(*) FROM circulation_computersession",
    "program sign-ups": "SELECT count(*) FROM circulation_programregistration",
    "patrons": "SELECT count(*) FROM patrons_patron",
    "cards": "SELECT count(*) FROM patrons_card",
    "audit entries": "SELECT count(*) FROM auditlog_logentry",
    # The patrons' own transactions: left in detail, and reduced to the month.
    "transaction entries in detail": "SELECT count(*) FROM auditlog_logentry "
    "WHERE additional_data ? 'served' AND NOT additional_data ? 'month'",
    "transaction entries of a month (and a digest of them)": "SELECT count(*), "
    "md5(string_agg(additional_data::text || timestamp::text, ',' ORDER BY "
    "additional_data::text, timestamp)) FROM auditlog_logentry WHERE additional_data ? 'month'",
    # The statistics: their totals (which the generalisation keeps) and their rows (how
    # many cells of fewer than k patrons went up their ladder).
    "circulation per day: check-outs": "SELECT sum(checkouts) FROM circulation_circulationday",
    "title per month: check-outs": "SELECT sum(checkouts) FROM circulation_titlemonth",
    "visits per day: visits": "SELECT sum(count) FROM circulation_visitcount",
    "charges per day: amount charged": "SELECT sum(amount_charged)::text "
    "FROM circulation_chargeday",
    "holds per day: placed": "SELECT sum(placed) FROM circulation_holdday",
    **{
        f"rows of {table} (generalised, a digest of them)": _rows_digest(table, columns)
        for table, columns in GENERALISED_TABLES
    },
    "copies' circulation counts": "SELECT sum(circulation_count) FROM circulation_item",
}

TABLES = (
    "circulation_loan",
    "circulation_fine",
    "circulation_hold",
    "circulation_visit",
    "circulation_computersession",
    "circulation_programregistration",
    "patrons_patron",
    "patrons_card",
    "auditlog_logentry",
    *(f"circulation_{name.lower()}" for name in ("CirculationDay", "TitleMonth", "HoldDay")),
    *(f"circulation_{name.lower()}" for name in ("HoldWait", "ChargeDay", "ComputerUseDay")),
    "circulation_visitcount",
    "circulation_item",
)


def outcome(cursor) -> dict[str, int | str]:
    result = {}
    for label, query in OUTCOME.items():
        cursor.execute(query)
        row = cursor.fetchone()
        result[label] = row[0] if len(row) == 1 else " ".join(str(value) for value in row)
    return result


def run_ours(now: datetime.datetime) -> dict:
    # Where the time goes, from the batches' progress calls: each kind's time runs from
    # the end of the previous batch (the first kind's includes the audit entries past
    # retention; "after the last batch" is the registrations' last batch onwards: side
    # copies, the statistics rewrite, the copies touched and the sessions scrubbed).
    steps: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(kind: str, done: int) -> None:
        moment = time.perf_counter()
        steps[kind] = round(steps.get(kind, 0) + moment - last[0], 2)
        last[0] = moment

    start = last[0]
    result = expunge(now=now, trigger="manual", progress=progress)
    seconds = time.perf_counter() - start
    steps["after the last batch"] = round(time.perf_counter() - last[0], 2)
    start = time.perf_counter()
    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f'VACUUM "{table}"')
        counts = outcome(cur)
    vacuum = time.perf_counter() - start
    return {
        "seconds": round(seconds, 2),
        "records": result.total,
        "records_per_s": round(result.total / seconds) if seconds else None,
        "per_kind": result.counts,
        "steps": steps,
        "vacuum_seconds": round(vacuum, 2),
        "outcome": counts,
    }


def run_raw(dsn: str, now: datetime.datetime) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        steps = {}
        affected = 0
        start = time.perf_counter()
        for label, statement in raw_statements(now):
            t = time.perf_counter()
            cur.execute(statement)
            if cur.description is not None and label not in NOT_COUNTED:
                affected += cur.fetchone()[0]
            elif label in ("audit_entry", "side_copies"):
                affected += cur.rowcount
            steps[label] = round(steps.get(label, 0) + time.perf_counter() - t, 2)
        seconds = time.perf_counter() - start
        counts = outcome(cur)
    return {
        "seconds": round(seconds, 2),
        "records": affected,
        "records_per_s": round(affected / seconds) if seconds else None,
        "steps": steps,
        "outcome": counts,
    }
