"""The two steps of our expunge besides the deletes, written in plain SQL for the
benchmark's comparison (`bench.expunge`): the statistics cells of fewer than k patrons
generalised before anything is removed (`stats.generalise`), and the patrons' own
transaction entries reduced to their month once records of theirs are removed
(`privacy.served`). The same rules, each table in a few statements, without batches:
what a fair plain SQL would do for the same outcome.

Generalisation, per table: the rows not yet generalised are deleted; each finest cell's
patrons are counted from the records that name them (the same events as ours); a cell of
fewer than k patrons goes up its ladder (a coarser key whose patrons, over the waiting
cells that go there, are at least k; the last step whatever its size); the sums are
added to generalised rows of the same key or inserted. The earliest date written joins
the `touched` table, so the final rewrite in key order starts there too.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A timestamp's local day and month, with the time zone as the literal {tz}.
DAY = "({0} AT TIME ZONE {{tz}})::date"
MONTH = "date_trunc('month', {0} AT TIME ZONE {{tz}})::date"


def _day(column: str) -> str:
    return DAY.format(column)


def _month_of_day(column: str) -> str:
    return f"date_trunc('month', {column})::date"


@dataclass(frozen=True)
class PlainLadder:
    table: str
    keys: tuple[str, ...]
    amounts: tuple[str, ...]
    #: SELECT of (keys..., patron) from the records, since {since} (a date).
    events: str
    #: Coarser keys, as SQL expressions over the finest key's columns (alias c).
    steps: tuple[tuple[str, ...], ...]
    #: Key columns that may be NULL (compared through COALESCE(…, -1)).
    nullable: tuple[str, ...] = ()


def _events_at(moments: list[str], rest: str, source: str) -> str:
    """One event per non-NULL moment of each record: (local day, rest..., patron)."""
    return " UNION ALL ".join(
        f"SELECT {_day(m)} AS day, {rest} FROM {source} WHERE {m} >= {{since_ts}}" for m in moments
    )


LOANS = (
    "circulation_loan t JOIN circulation_item i ON i.id = t.item_id "
    "JOIN patrons_patron p ON p.id = t.patron_id"
)

LADDERS = (
    PlainLadder(
        "circulation_circulationday",
        ("day", "branch_id", "item_type", "patron_category"),
        ("checkouts", "renewals", "returns"),
        _events_at(
            ["t.checked_out_at", "t.returned_at"],
            "t.branch_id, i.item_type, p.category AS patron_category, t.patron_id AS patron",
            LOANS,
        ),
        (
            ("c.day", "c.branch_id", "''", "''"),
            (_month_of_day("c.day"), "c.branch_id", "''", "''"),
        ),
    ),
    PlainLadder(
        "circulation_titlemonth",
        ("month", "title_id"),
        ("checkouts",),
        f"SELECT {MONTH.format('t.checked_out_at')} AS month, i.title_id, "
        "t.patron_id AS patron FROM circulation_loan t JOIN circulation_item i "
        "ON i.id = t.item_id WHERE t.checked_out_at >= {since_month_ts}",
        (("c.month", "NULL::bigint"),),
        nullable=("title_id",),
    ),
    PlainLadder(
        "circulation_holdday",
        ("day", "branch_id"),
        ("placed", "filled", "cancelled", "expired"),
        _events_at(
            ["t.placed_at", "t.closed_at"],
            "t.pickup_branch_id AS branch_id, t.patron_id AS patron",
            "circulation_hold t",
        ),
        ((_month_of_day("c.day"), "c.branch_id"),),
    ),
    PlainLadder(
        "circulation_computeruseday",
        ("day", "branch_id"),
        ("sessions", "minutes"),
        _events_at(
            ["t.started_at"], "t.branch_id, t.patron_id AS patron", "circulation_computersession t"
        ),
        ((_month_of_day("c.day"), "c.branch_id"),),
    ),
    PlainLadder(
        "circulation_visitcount",
        ("day", "branch_id"),
        ("count",),
        _events_at(["t.visited_at"], "t.branch_id, t.patron_id AS patron", "circulation_visit t"),
        ((_month_of_day("c.day"), "c.branch_id"),),
    ),
    PlainLadder(
        "circulation_chargeday",
        ("day", "reason"),
        ("charged", "amount_charged", "amount_paid", "amount_waived"),
        _events_at(
            ["t.assessed_at", "t.waived_at", "t.settled_at"],
            "t.reason, t.patron_id AS patron",
            "circulation_fine t",
        )
        + " UNION ALL "
        + _events_at(
            ["t.taken_at"],
            "f.reason, t.patron_id AS patron",
            "circulation_finepayment t JOIN circulation_fine f ON f.id = t.fine_id",
        ),
        (("c.day", "''"), (_month_of_day("c.day"), "''")),
    ),
)


def _match(ladder: PlainLadder, a: str, b: str) -> str:
    def side(alias: str, key: str) -> str:
        return f"COALESCE({alias}.{key}, -1)" if key in ladder.nullable else f"{alias}.{key}"

    return " AND ".join(f"{side(a, k)} = {side(b, k)}" for k in ladder.keys)


def generalise_statements(ladder: PlainLadder, k: int) -> list[str]:
    """Three statements: the fresh rows deleted and their generalised sums computed into
    a temporary table; those sums added to the generalised rows of the same key; the
    others inserted (with the earliest date into `touched`)."""
    keys = ", ".join(ladder.keys)
    c_keys = ", ".join(f"c.{key}" for key in ladder.keys)
    amounts = ", ".join(ladder.amounts)
    first = ladder.keys[0]
    since_ts = f"(SELECT min({first})::timestamp AT TIME ZONE {{tz}} FROM fresh)"
    events = ladder.events.replace("{since_ts}", since_ts).replace("{since_month_ts}", since_ts)
    # The level each finest cell is placed at: 0 (itself), 1, ... (its ladder's steps).
    levels = ["l0 AS (SELECT " + c_keys + ", count(ev.patron) AS n FROM cells c LEFT JOIN ev ON "
              + _match(ladder, "c", "ev") + " GROUP BY " + c_keys + ")"]  # fmt: skip
    case = "CASE WHEN c.n >= {k} THEN 0"
    joins = ""
    if len(ladder.steps) == 2:  # the first step is taken where its patrons are k or more
        step = ladder.steps[0]
        group = ", ".join(f"{expr} AS g{i}" for i, expr in enumerate(step))
        names = ", ".join(f"g{i}" for i in range(len(step)))
        levels.append(
            f"w1 AS (SELECT {group}, count(DISTINCT ev.patron) AS n FROM l0 c "
            f"LEFT JOIN ev ON {_match(ladder, 'c', 'ev')} WHERE c.n < {{k}} GROUP BY {names})"
        )
        on = " AND ".join(f"w1.g{i} = {expr}" for i, expr in enumerate(step))
        joins = f" LEFT JOIN w1 ON {on}"
        case += " WHEN w1.n >= {k} THEN 1"
    case += f" ELSE {len(ladder.steps)} END"
    targets = []
    for i, key in enumerate(ladder.keys):
        whens = " ".join(f"WHEN {n} THEN {step[i]}" for n, step in enumerate(ladder.steps, 1))
        targets.append(f"CASE c.level WHEN 0 THEN c.{key} {whens} END AS {key}")
    gen = f"gen_{ladder.table}"
    compute = f"""CREATE TEMP TABLE {gen} AS
        WITH fresh AS (DELETE FROM {ladder.table} WHERE NOT generalised
            RETURNING {keys}, {amounts}),
        cells AS (SELECT DISTINCT {keys} FROM fresh),
        ev AS (SELECT DISTINCT e.* FROM ({events}) e),
        {", ".join(levels)},
        placed AS (SELECT {c_keys}, {case} AS level FROM l0 c{joins}),
        moved AS (SELECT {", ".join(targets)}, {", ".join(f"f.{a}" for a in ladder.amounts)}
            FROM fresh f JOIN placed c ON {_match(ladder, "f", "c")})
        SELECT {keys}, {", ".join(f"sum({a}) AS {a}" for a in ladder.amounts)}
        FROM moved GROUP BY {keys}"""
    add = ", ".join(f"{a} = t.{a} + s.{a}" for a in ladder.amounts)
    s_keys = ", ".join(f"s.{key}" for key in ladder.keys)
    update = f"""WITH added AS (UPDATE {ladder.table} t SET {add} FROM {gen} s
            WHERE t.generalised AND {_match(ladder, "t", "s")} RETURNING {s_keys})
        DELETE FROM {gen} s USING added a WHERE {_match(ladder, "s", "a")}"""
    insert = f"""WITH written AS (INSERT INTO {ladder.table} ({keys}, {amounts}, generalised)
            SELECT {keys}, {amounts}, true FROM {gen} ORDER BY {keys} RETURNING {first})
        INSERT INTO touched (began)
        SELECT min({first})::timestamp AT TIME ZONE {{tz}} FROM written
        HAVING min({first}) IS NOT NULL"""
    return [
        compute.replace("{k}", str(k)),
        update,
        insert,
    ]


#: The month entry's columns, as `privacy.served` writes them.
ENTRY = """INSERT INTO auditlog_logentry (content_type_id, object_pk, object_id, object_repr,
    action, actor_id, actor_email, remote_addr, additional_data, timestamp, changes_text)
SELECT (SELECT id FROM django_content_type WHERE app_label = 'patrons' AND model = 'patron'),
    patron::text, patron, 'Patron #' || patron, 3, NULL, NULL, NULL,
    jsonb_build_object('patron', patron, 'served', channel, 'month', to_char(month, 'YYYY-MM')),
    month AT TIME ZONE {tz}, ''"""


def reduce_statement() -> str:
    """The transaction entries (a "served" key, no "month") written before the run of
    every patron some of whose records were removed (and is under no pending legal
    hold) deleted, and one entry per patron, month and channel written for them; with
    the month entries already there of the same months, all written again in key order
    (month, patron, channel), without duplicates."""
    return f"""WITH fine AS (DELETE FROM auditlog_logentry e
            WHERE (e.additional_data -> 'patron') IN (SELECT to_jsonb(patron_id) FROM touched
                WHERE patron_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM patrons_legalhold lh
                    WHERE lh.patron_id = touched.patron_id AND lh.released_at IS NULL))
            AND e.timestamp < {{now}} AND e.additional_data ? 'served'
            AND NOT e.additional_data ? 'month'
            RETURNING (e.additional_data ->> 'patron')::bigint AS patron,
                e.additional_data ->> 'served' AS channel,
                date_trunc('month', e.timestamp AT TIME ZONE {{tz}}) AS month),
        months AS (SELECT DISTINCT month AT TIME ZONE {{tz}} AS stamp FROM fine),
        kept AS (DELETE FROM auditlog_logentry e WHERE e.action = 3
            AND e.additional_data ? 'month' AND e.timestamp IN (SELECT stamp FROM months)
            RETURNING (e.additional_data ->> 'patron')::bigint AS patron,
                e.additional_data ->> 'served' AS channel,
                date_trunc('month', e.timestamp AT TIME ZONE {{tz}}) AS month)
        {ENTRY} FROM (SELECT patron, channel, month FROM fine UNION
            SELECT patron, channel, month FROM kept) keys
        ORDER BY keys.month, keys.patron, keys.channel"""
