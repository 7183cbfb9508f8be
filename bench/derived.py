"""The benchmark's rows that follow from its records: the audit log (a creation entry per
record, and the access entries staff pages write, one per patron per page view as
`privacy.access.log_access` writes them) and the anonymous statistics
the desk counts as events happen (`stats/counting.py`): circulation per day, title
per month, holds, hold waits, charges, computer use and visits, each copy's and each
program's counts.

The statistics are aggregated from the generated records, so they are exactly what the
desk would have counted had it served them; their rows are inserted in key order, as the
expunge's rewrite leaves them.
"""

from __future__ import annotations

BRANCH_NAME = "'Branch ' || (1 + i % 10)"


def access_statement(patrons: int) -> tuple[str, str, int, int]:
    """Per patron, in the form `log_access` writes: opened at a desk check-out (its card
    and one to three loans; the patron's own transaction, `served: desk`, which the
    expunge reduces with their records) and listed in a staff search of the patron list,
    at times spread over the last 400 days (some past the audit log's own retention)."""
    return (
        "access entries",
        f"""INSERT INTO auditlog_logentry (object_pk, object_id, object_repr, action,
            changes, timestamp, content_type_id, additional_data, changes_text, actor_id,
            remote_addr)
        SELECT i::text, i, 'Patron #' || i, 3, NULL,
            %(now)s - make_interval(days => (i * v.step) % 400, hours => i % 11),
            (SELECT id FROM django_content_type
             WHERE app_label = 'patrons' AND model = 'patron'),
            jsonb_build_object('page', v.page, 'access', v.access,
                'role', 'Circulation staff', 'branch', {BRANCH_NAME}, 'patron', i,
                'kinds', CASE WHEN v.access = 'opened'
                    THEN jsonb_build_object('card', 1, 'loan', 1 + i % 3)
                    ELSE jsonb_build_object('patron', 1) END)
                -- The check-out serves the patron: their own transaction (privacy.access).
                || CASE WHEN v.page = 'desk:checkout' THEN '{{"served": "desk"}}'::jsonb
                    ELSE '{{}}'::jsonb END,
            '', NULL, ('10.0.0.' || (1 + i % 200))::inet
        FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)
        CROSS JOIN (VALUES ('desk:checkout', 'opened', 7),
                           ('admin:patrons.patron:list', 'listed', 11)) v(page, access, step)
        WHERE i <= {patrons}""",
        1,
        patrons,
    )


def creation_statements(s) -> list[tuple[str, str, int, int]]:
    """One creation entry per record, naming its patron, as django-auditlog writes them
    (`s`: the data set's Sizes)."""
    return [
        (
            f"audit entries ({model})",
            f"""INSERT INTO auditlog_logentry (object_pk, object_id, object_repr, action,
                changes, timestamp, content_type_id, additional_data, changes_text)
            SELECT t.id::text, t.id, '{label} #' || t.id, 0,
                jsonb_build_object('id', jsonb_build_array('None', t.id::text)), t.{stamp},
                (SELECT id FROM django_content_type
                 WHERE app_label = '{app}' AND model = '{model}'),
                jsonb_build_object('kind', '{kind}', 'patron', t.{patron}), ''
            FROM {app}_{model} t WHERE t.id BETWEEN %(lo)s AND %(hi)s""",
            1,
            count,
        )
        for app, model, label, kind, stamp, patron, count in (
            ("patrons", "patron", "Patron", "patron", "registered_at", "id", s.patrons),
            ("patrons", "card", "Card", "card", "issued_at", "patron_id", s.patrons),
            ("circulation", "loan", "Loan", "loan", "checked_out_at", "patron_id", s.loans),
            ("circulation", "hold", "Hold", "hold", "placed_at", "patron_id", s.holds),
            ("circulation", "fine", "Fine", "fine", "assessed_at", "patron_id", s.fines),
            ("circulation", "visit", "Visit", "visit", "visited_at", "patron_id", s.visits),
            (
                "circulation",
                "computersession",
                "Computer session",
                "computer_session",
                "started_at",
                "patron_id",
                s.sessions,
            ),
            (
                "circulation",
                "programregistration",
                "Program registration",
                "program_registration",
                "registered_at",
                "patron_id",
                s.registrations,
            ),
        )
    ]


def _day(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)::date"


def _month(column: str) -> str:
    return f"date_trunc('month', {column} AT TIME ZONE %(tz)s)::date"


#: (label, SQL with %(tz)s): run once, after every record is in.
STATISTICS = (
    (
        "circulation per day",
        f"""INSERT INTO circulation_circulationday (day, branch_id, item_type,
            patron_category, checkouts, renewals, returns)
        SELECT day, branch_id, item_type, category, sum(c), 0, sum(r) FROM (
            SELECT {_day("l.checked_out_at")} AS day, l.branch_id, it.item_type,
                p.category, 1 AS c, 0 AS r
            FROM circulation_loan l JOIN circulation_item it ON it.id = l.item_id
            JOIN patrons_patron p ON p.id = l.patron_id
            UNION ALL
            SELECT {_day("l.returned_at")}, l.branch_id, it.item_type, p.category, 0, 1
            FROM circulation_loan l JOIN circulation_item it ON it.id = l.item_id
            JOIN patrons_patron p ON p.id = l.patron_id WHERE l.returned_at IS NOT NULL
        ) x GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4""",
    ),
    (
        "title per month",
        f"""INSERT INTO circulation_titlemonth (month, title_id, checkouts)
        SELECT {_month("l.checked_out_at")}, it.title_id, count(*)
        FROM circulation_loan l JOIN circulation_item it ON it.id = l.item_id
        GROUP BY 1, 2 ORDER BY 1, 2""",
    ),
    (
        "holds per day",
        f"""INSERT INTO circulation_holdday (day, branch_id, placed, filled, cancelled,
            expired)
        SELECT day, branch_id, sum(placed), sum(filled), sum(cancelled), sum(expired) FROM (
            SELECT {_day("placed_at")} AS day, pickup_branch_id AS branch_id, 1 AS placed,
                0 AS filled, 0 AS cancelled, 0 AS expired FROM circulation_hold
            UNION ALL
            SELECT {_day("closed_at")}, pickup_branch_id, 0,
                (status = 'fulfilled')::int, (status = 'cancelled')::int,
                (status = 'expired')::int
            FROM circulation_hold WHERE closed_at IS NOT NULL
        ) x GROUP BY 1, 2 ORDER BY 1, 2""",
    ),
    (
        "hold waits",
        f"""INSERT INTO circulation_holdwait (month, branch_id, wait_days, filled)
        SELECT {_month("closed_at")}, pickup_branch_id,
            LEAST(GREATEST({_day("closed_at")} - {_day("placed_at")}, 0), 365), count(*)
        FROM circulation_hold WHERE status = 'fulfilled' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    ),
    (
        "charges per day",
        f"""INSERT INTO circulation_chargeday (day, reason, charged, amount_charged,
            amount_paid, amount_waived)
        SELECT day, reason, sum(n), sum(charged), sum(paid), 0 FROM (
            SELECT {_day("assessed_at")} AS day, reason, 1 AS n, amount AS charged,
                0 AS paid FROM circulation_fine
            UNION ALL
            SELECT {_day("settled_at")}, reason, 0, 0, amount_paid FROM circulation_fine
            WHERE settled_at IS NOT NULL
        ) x GROUP BY 1, 2 ORDER BY 1, 2""",
    ),
    (
        "computer use per day",
        f"""INSERT INTO circulation_computeruseday (day, branch_id, sessions, minutes)
        SELECT {_day("started_at")}, branch_id, count(*),
            sum(GREATEST(extract(epoch FROM ended_at - started_at)::int / 60, 0))
        FROM circulation_computersession GROUP BY 1, 2 ORDER BY 1, 2""",
    ),
    (
        "visits per day",
        f"""INSERT INTO circulation_visitcount (day, branch_id, count)
        SELECT {_day("visited_at")}, branch_id, count(*) FROM circulation_visit
        GROUP BY 1, 2 ORDER BY 1 DESC, 2""",
    ),
    (
        "copies' circulation counts",
        """UPDATE circulation_item it SET circulation_count = c.n
        FROM (SELECT item_id, count(*) AS n FROM circulation_loan GROUP BY item_id) c
        WHERE c.item_id = it.id""",
    ),
    (
        "programs' counts",
        """UPDATE circulation_program pr SET registration_count = c.n,
            attendance_count = c.attended
        FROM (SELECT program_id, count(*) AS n, count(*) FILTER (WHERE attended) AS attended
              FROM circulation_programregistration GROUP BY program_id) c
        WHERE c.program_id = pr.id""",
    ),
)

#: Tables whose id sequences must follow the rows inserted with explicit ids.
TABLES = ("circulation_program", "circulation_programregistration")
