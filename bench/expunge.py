"""The expunge, ours against the same work in plain SQL on an identical copy.

Ours is `patrons.retention.expunge()`, as the nightly task runs it: batches in their own
transactions, re-checked inside each, legal holds honoured, audit entries of every
expunged record scrubbed. The plain SQL does only the UPDATE ... SET patron_id = NULL and
DELETE statements that select the same rows (no batches, no re-check, no audit scrub), so
the ratio is what our safety costs. Both outcomes are counted and must be identical.
VACUUM is timed on its own (the same for both).
"""

from __future__ import annotations

import datetime
import time

import psycopg
from django.db import connection
from django.utils import timezone
from psycopg import sql as pgsql

from .data import RETENTION_DAYS

ACTIVE_HOLD = "('placed', 'in_transit', 'waiting')"
NOT_HELD = """NOT EXISTS (SELECT 1 FROM patrons_legalhold lh
    WHERE lh.patron_id = {alias}.patron_id AND lh.released_at IS NULL)"""


def _scrubbed(kind: str, app: str, model: str, change: str) -> str:
    """`change` (an UPDATE or DELETE ... RETURNING the ids) plus the scrub of the audit
    entries about those records, in one statement that counts the records."""
    return f"""WITH gone AS ({change}),
        scrub AS (UPDATE auditlog_logentry e SET object_repr = '[expunged]', changes = NULL,
            changes_text = '', serialized_data = NULL, remote_addr = NULL,
            additional_data = jsonb_build_object('kind', '{kind}', 'expunged', true)
            FROM gone WHERE e.content_type_id = (SELECT id FROM django_content_type
                WHERE app_label = '{app}' AND model = '{model}')
            AND e.object_pk = gone.id::text RETURNING 1)
        SELECT count(*) FROM gone"""


DOOMED = "(SELECT id FROM doomed)"


def raw_statements(now: datetime.datetime) -> list[tuple[str, str]]:
    """(label, SQL) in the engine's order, each with the scrub of the audit entries it
    makes stale. The bench's legal holds cover every kind and every date, so "not held" is
    "no unreleased hold on the patron"."""
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
    }

    def sql(text: str):
        return pgsql.SQL(text).format(**{k: pgsql.Literal(v) for k, v in p.items()})

    loan_due = (
        "l.patron_id IS NOT NULL AND l.returned_at IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM circulation_fine f WHERE f.loan_id = l.id "
        "AND f.settled_at IS NULL) "
        "AND GREATEST(l.returned_at, COALESCE((SELECT max(f.settled_at) FROM "
        "circulation_fine f WHERE f.loan_id = l.id), l.returned_at)) <= {cutoff} "
        "AND NOT EXISTS (SELECT 1 FROM patrons_patron p WHERE p.id = l.patron_id "
        "AND p.keep_reading_history) AND " + NOT_HELD.format(alias="l")
    )
    return [
        # As in the engine: entries past the audit log's retention go before any scrub.
        ("audit_entry", sql("DELETE FROM auditlog_logentry WHERE timestamp < {audit_cutoff}")),
        (
            "patron_block",
            sql(
                _scrubbed(
                    "patron_block",
                    "patrons",
                    "patronblock",
                    "DELETE FROM patrons_patronblock b WHERE COALESCE(b.lifted_at, b.ends_at) "
                    "<= {cutoff} AND NOT (b.lifted_at IS NULL AND (b.ends_at IS NULL OR "
                    "b.ends_at > {now})) AND " + NOT_HELD.format(alias="b") + " RETURNING b.id",
                )
            ),
        ),
        (
            "loan",
            sql(
                _scrubbed(
                    "loan",
                    "circulation",
                    "loan",
                    "UPDATE circulation_loan l SET patron_id = NULL, anonymised_at = {now} "
                    f"WHERE {loan_due} RETURNING l.id",
                )
            ),
        ),
        (
            "hold",
            sql(
                _scrubbed(
                    "hold",
                    "circulation",
                    "hold",
                    f"DELETE FROM circulation_hold h WHERE h.status NOT IN {ACTIVE_HOLD} "
                    "AND h.closed_at <= {cutoff} AND "
                    + NOT_HELD.format(alias="h")
                    + " RETURNING h.id",
                )
            ),
        ),
        (
            "fine",
            sql(
                _scrubbed(
                    "fine",
                    "circulation",
                    "fine",
                    "UPDATE circulation_fine f SET patron_id = NULL, loan_id = NULL, "
                    "anonymised_at = {now} WHERE f.patron_id IS NOT NULL "
                    "AND f.settled_at <= {cutoff} AND "
                    + NOT_HELD.format(alias="f")
                    + " RETURNING f.id",
                )
            ),
        ),
        (
            "visit",
            sql(
                _scrubbed(
                    "visit",
                    "circulation",
                    "visit",
                    "DELETE FROM circulation_visit v WHERE v.visited_at <= {cutoff} AND "
                    + NOT_HELD.format(alias="v")
                    + " RETURNING v.id",
                )
            ),
        ),
        (
            "computer_session",
            sql(
                _scrubbed(
                    "computer_session",
                    "circulation",
                    "computersession",
                    "DELETE FROM circulation_computersession s WHERE s.ended_at <= {cutoff} "
                    "AND " + NOT_HELD.format(alias="s") + " RETURNING s.id",
                )
            ),
        ),
        (
            "patron",
            sql(
                f"""CREATE TEMP TABLE doomed AS SELECT p.id FROM patrons_patron p
                WHERE p.card_expires_on < {{today}}
                AND GREATEST(p.card_expires_on::timestamptz + interval '2 days',
                             COALESCE(p.last_activity_at, p.registered_at)) <= {{patron_cutoff}}
                AND NOT EXISTS (SELECT 1 FROM circulation_loan l WHERE l.patron_id = p.id
                    AND (l.returned_at IS NULL OR EXISTS (SELECT 1 FROM circulation_fine f
                         WHERE f.loan_id = l.id AND f.settled_at IS NULL)))
                AND NOT EXISTS (SELECT 1 FROM circulation_fine f WHERE f.patron_id = p.id
                    AND f.settled_at IS NULL)
                AND NOT EXISTS (SELECT 1 FROM circulation_hold h WHERE h.patron_id = p.id
                    AND h.status IN {ACTIVE_HOLD})
                AND NOT EXISTS (SELECT 1 FROM circulation_computersession s
                    WHERE s.patron_id = p.id AND s.ended_at IS NULL)
                AND NOT EXISTS (SELECT 1 FROM patrons_patronblock b WHERE b.patron_id = p.id
                    AND b.lifted_at IS NULL AND (b.ends_at IS NULL OR b.ends_at > {{now}}))
                AND NOT EXISTS (SELECT 1 FROM patrons_legalhold lh
                    WHERE lh.patron_id = p.id AND lh.released_at IS NULL)"""
            ),
        ),
        *[
            ("patron", sql(statement))
            for statement in (
                f"UPDATE circulation_loan SET patron_id = NULL, anonymised_at = {{now}} "
                f"WHERE patron_id IN {DOOMED}",
                f"UPDATE circulation_fine SET patron_id = NULL, loan_id = NULL, "
                f"anonymised_at = {{now}} WHERE patron_id IN {DOOMED}",
                *[
                    f"DELETE FROM {table} WHERE patron_id IN {DOOMED}"
                    for table in (
                        "circulation_hold",
                        "circulation_visit",
                        "circulation_computersession",
                        "patrons_patronblock",
                        "circulation_programregistration",
                        "patrons_card",
                    )
                ],
                f"DELETE FROM patrons_patron WHERE id IN {DOOMED}",
                "UPDATE auditlog_logentry SET object_repr = '[expunged]', changes = NULL, "
                "changes_text = '', serialized_data = NULL, remote_addr = NULL, "
                "additional_data = jsonb_build_object('expunged', true) "
                "WHERE (additional_data -> 'patron') IN (SELECT to_jsonb(id) FROM doomed)",
                "SELECT count(*) FROM doomed",
            )
        ],
    ]


OUTCOME = {
    "loans linked": "SELECT count(*) FROM circulation_loan WHERE patron_id IS NOT NULL",
    "loans anonymised": "SELECT count(*) FROM circulation_loan WHERE patron_id IS NULL",
    "fines linked": "SELECT count(*) FROM circulation_fine WHERE patron_id IS NOT NULL",
    "holds": "SELECT count(*) FROM circulation_hold",
    "visits": "SELECT count(*) FROM circulation_visit",
    "computer sessions": "SELECT count(*) FROM circulation_computersession",
    "patrons": "SELECT count(*) FROM patrons_patron",
    "cards": "SELECT count(*) FROM patrons_card",
}

TABLES = (
    "circulation_loan",
    "circulation_fine",
    "circulation_hold",
    "circulation_visit",
    "circulation_computersession",
    "patrons_patron",
    "patrons_card",
    "auditlog_logentry",
)


def outcome(cursor) -> dict[str, int]:
    result = {}
    for label, query in OUTCOME.items():
        cursor.execute(query)
        result[label] = cursor.fetchone()[0]
    return result


def run_ours(now: datetime.datetime) -> dict:
    from patrons.retention import expunge

    start = time.perf_counter()
    result = expunge(now=now, trigger="manual")
    seconds = time.perf_counter() - start
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
            if cur.description is not None:  # the statements that count their records
                affected += cur.fetchone()[0]
            elif label == "audit_entry":
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
