"""The benchmark's data set: a consortium at `scale` x (100,000 patrons, 200,000 items,
1,000,000 loans, 100,000 holds, 50,000 fines, 500,000 visits, 200,000 computer sessions,
2,000 programs with 40,000 sign-ups).

Rows are made by PostgreSQL itself (`INSERT ... SELECT FROM generate_series`, in chunks,
with a progress bar), so a million loans take seconds rather than an hour of ORM saves.
The data is deterministic: the same scale gives the same rows.

The shape (all counted from `now`; every record kind keeps closed records for
`RETENTION_DAYS`):

* 5 % of patrons are dormant: their card expired more than two years ago, with no
  activity since, so their registration is past retention and goes with its cards.
  5 % keep their reading history (their returned loans stay). Three patrons are under a
  legal hold of every kind.
* 10 % of loans are open (one per copy); of the closed ones, half were returned before the
  retention cut-off and half after it. Patron 1 is the portal's reader: 40 current loans.
* 20 % of holds are active (waiting in the queue), the rest closed, half past retention.
* 20 % of fines are unpaid (their loans stay active), the rest settled, half past retention.
* Visits, computer sessions and sign-ups of programs that ended: half past retention.
* The audit log holds one creation entry per record (cards included), naming its patron,
  as django-auditlog writes them, and two access entries per patron in the form
  `log_access` writes them (bench/derived.py); entries older than a year are past the
  audit log's own retention.
* The anonymous statistics (per day, per title per month, each copy's count) are what the
  desk would have counted for these records (bench/derived.py).
"""

from __future__ import annotations

import datetime
import re

import psycopg
from django.conf import settings
from tqdm import tqdm

from bench import derived
from bench.sizes import Sizes
from bench.words import GIVEN, GIVEN_SQL, SURNAMES, SURNAMES_SQL, WORDS, WORDS_SQL
from privacy.policy import rules

RETENTION_DAYS = 90
BRANCHES = 10
CHUNK = 100_000
BENCH_CARD = "21234000000001"
BENCH_PIN = "2468"
PORTAL_LOANS = 40
LEGAL_HOLD_PATRONS = (3, 5, 7)
CARD_PREFIX = "21234"
#: Record kinds whose retention the benchmark sets to RETENTION_DAYS: those the library
#: expunges at the next nightly run by default.
RECORD_KINDS = tuple(rule.kind for rule in rules() if rule.default_days == 0)


# SQL fragments over the series variable `i`.
# A patron who is not dormant (dormant: id divisible by 20), never patron 1 (the reader).
ACTIVE_PATRON = "(CASE WHEN ({p}) % 20 = 0 THEN ({p}) - 1 WHEN ({p}) = 1 THEN 2 ELSE ({p}) END)"
ANY_PATRON = "(CASE WHEN ({p}) = 1 THEN 2 ELSE ({p}) END)"
# Half of the closed records closed before the cut-off, half after (seconds since `now`).
CLOSED_AGO = (
    "(CASE WHEN i % 2 = 0 THEN make_interval(days => {r} + 1 + (i * 7) % 1400)"
    " ELSE make_interval(days => (i * 7) % ({r} - 1), hours => 1 + i % 20) END)"
)


def _active_patron(expr: str) -> str:
    return ACTIVE_PATRON.format(p=expr)


def _any_patron(expr: str) -> str:
    return ANY_PATRON.format(p=expr)


def _closed_ago() -> str:
    return CLOSED_AGO.format(r=RETENTION_DAYS)


# A patron's names and phone, from `i`: 46 given names and 100 surnames, different parts
# for a compound name; phone numbers "(AAA) EEE-NNNN", 10 digits.
PATRON_NAMES = f"""
    ({GIVEN_SQL})[1 + i % {len(GIVEN)}]
        || CASE WHEN i % 4 = 1
           THEN ' ' || ({GIVEN_SQL})[1 + (i + 1 + (i / 7) % {len(GIVEN) - 1}) % {len(GIVEN)}]
           ELSE '' END AS first_name,
    ({SURNAMES_SQL})[1 + (i / 3) % {len(SURNAMES)}]
        || CASE WHEN i % 3 = 2 THEN ' ' || ({SURNAMES_SQL})[1 + (i / 3 + 1) % {len(SURNAMES)}]
           ELSE '' END AS last_name,
    '(' || (200 + i % 800) || ') ' || lpad(((i::bigint * 7919) % 1000)::text, 3, '0')
        || '-' || lpad((i % 10000)::text, 4, '0') AS phone"""


def statements(sizes: Sizes) -> list[tuple[str, str, int, int]]:
    """(label, INSERT ... SELECT over a generate_series from %(lo)s to %(hi)s, first, last)."""
    s = sizes
    o = s.open_loans
    ha = s.active_holds
    closed_ago = _closed_ago()
    patron_of_i = f"1 + (i::bigint * 7919) % {s.patrons}"
    return [
        (
            "branches",
            """INSERT INTO circulation_branch (id, code, name, address, phone)
            SELECT i, 'B' || i, 'Branch ' || i, i || ' Main Street', ''
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)""",
            1,
            BRANCHES,
        ),
        (
            "patrons",
            # Names from real given names and surnames (a quarter with two given names, a
            # third with two surnames) and a phone number, so that the desk's patron search
            # finds as many as it would; search_key as Patron.save() would write it (ASCII
            # names: lower case, a compound name also as one word; the phone's 10 digits
            # backwards after '#': patrons/search_key.py).
            f"""INSERT INTO patrons_patron (id, first_name, last_name, email, phone,
                address_line1, address_line2, city, postal_code, birth_date, category,
                registered_at, card_expires_on, status, keep_reading_history,
                reading_history_via, pin_hash, pin_changed_at, last_activity_at,
                home_branch_id, search_key)
            SELECT i, n.first_name, n.last_name, '', n.phone,
                i || ' Elm Street', '', 'Calumet', '46320', NULL,
                (ARRAY['adult','child','senior','young_adult','non_resident'])[1 + i % 5],
                %(now)s - make_interval(days => 1200 + i % 3000),
                CASE WHEN i % 20 = 0 THEN (%(now)s - make_interval(days => 800 + i % 500))::date
                     ELSE (%(now)s + make_interval(days => 30 + i % 1000))::date END,
                CASE WHEN i % 20 = 0 THEN 'expired' ELSE 'active' END,
                i % 20 = 7, CASE WHEN i % 20 = 7 THEN 'portal' ELSE '' END, '', NULL,
                CASE WHEN i % 20 = 0 THEN %(now)s - make_interval(days => 1000 + i % 500)
                     ELSE %(now)s - make_interval(days => i % 60) END,
                1 + i % {BRANCHES},
                lower(n.first_name)
                    || CASE WHEN position(' ' in n.first_name) > 0
                       THEN ' ' || lower(replace(n.first_name, ' ', '')) ELSE '' END
                    || ' ' || lower(n.last_name)
                    || CASE WHEN position(' ' in n.last_name) > 0
                       THEN ' ' || lower(replace(n.last_name, ' ', '')) ELSE '' END
                    || ' #' || reverse(regexp_replace(n.phone, '[^0-9]', '', 'g'))
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i),
            LATERAL (SELECT {PATRON_NAMES}) n""",
            1,
            s.patrons,
        ),
        (
            "cards",
            f"""INSERT INTO patrons_card (id, number, issued_at, status, status_changed_at,
                patron_id)
            SELECT i, '{CARD_PREFIX}' || lpad(i::text, 9, '0'),
                %(now)s - make_interval(days => 1200 + i % 3000),
                CASE WHEN i % 20 = 0 THEN 'expired' ELSE 'active' END, NULL, i
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)""",
            1,
            s.patrons,
        ),
        (
            "titles",
            # Titles of three to five words from a vocabulary of a few hundred (as real
            # titles share words), an author from 2,000 names, a subject, a format and a
            # language; search_text as Title.save() would write it (ASCII words, lower case).
            f"""INSERT INTO circulation_title (id, title, author, isbn, isbn13,
                publication_year, call_number, control_number, control_source, format,
                language, subjects, series, summary, created_at, search_text)
            SELECT i, t.title, t.author, '', '', 1950 + i % 75, '', '', '',
                (ARRAY['book','book','book','book','book','book','large_print','audiobook',
                    'dvd','music'])[1 + i % 10],
                (ARRAY['eng','eng','eng','eng','eng','eng','spa','spa','fre','ger'])
                    [1 + (i / 10) % 10],
                t.subject, '', '',
                %(now)s - interval '5 years' + make_interval(secs => i),
                ' ' || lower(regexp_replace(t.title || ' ' || t.author || ' ' || t.subject,
                    '[^A-Za-z0-9]+', ' ', 'g'))
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i),
            LATERAL (SELECT
                initcap(array_to_string(ARRAY(
                    SELECT ({WORDS_SQL})
                        [1 + ((i::bigint * (k + 7) * 7919 + k * 104729) % {len(WORDS)})]
                    FROM generate_series(1, 3 + i % 3) k), ' ')) AS title,
                ({SURNAMES_SQL})[1 + (i * 31) % {len(SURNAMES)}] || ', ' ||
                    ({GIVEN_SQL})[1 + (i / 7) % {len(GIVEN)}] AS author,
                initcap(({WORDS_SQL})[1 + (i * 13) % {len(WORDS)}]) || ' -- Fiction' AS subject
            ) t""",
            1,
            s.titles,
        ),
        (
            "items",
            f"""INSERT INTO circulation_item (id, barcode, item_type, call_number, status,
                price, added_at, branch_id, title_id, circulation_count)
            SELECT i, '3' || lpad(i::text, 12, '0'),
                (ARRAY['book','book','book','large_print','audiobook','dvd'])[1 + i % 6],
                '', CASE WHEN i <= {o} THEN 'on_loan' ELSE 'available' END, 20.00,
                %(now)s - interval '5 years', 1 + i % {BRANCHES}, 1 + (i - 1) % {s.titles}, 0
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)""",
            1,
            s.items,
        ),
        (
            # Loans 1..o are open, one per copy (items 1..o); 1..40 are patron 1's.
            "open loans",
            f"""INSERT INTO circulation_loan (id, checked_out_at, due_at, returned_at,
                renewals, branch_id, checked_out_by_id, item_id, patron_id,
                last_overdue_notice_at, overdue_notices_sent)
            SELECT i, %(now)s - make_interval(days => 1 + i % 30, hours => i % 9),
                %(now)s - make_interval(days => 1 + i % 30, hours => i % 9)
                    + interval '21 days',
                NULL, 0, 1 + i % {BRANCHES}, NULL, i,
                CASE WHEN i <= {PORTAL_LOANS} THEN 1 ELSE {_active_patron(patron_of_i)} END,
                NULL, 0
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)""",
            1,
            o,
        ),
        (
            # Closed loans: half returned before the cut-off (any patron), half after it
            # (patrons who are not dormant).
            "closed loans",
            f"""INSERT INTO circulation_loan (id, checked_out_at, due_at, returned_at,
                renewals, branch_id, checked_out_by_id, item_id, patron_id,
                last_overdue_notice_at, overdue_notices_sent)
            SELECT i, r - interval '14 days', r + interval '7 days', r, 0,
                1 + i % {BRANCHES}, NULL, 1 + i % {s.items},
                CASE WHEN i % 2 = 0 THEN {_any_patron(patron_of_i)}
                     ELSE {_active_patron(patron_of_i)} END,
                NULL, 0
            FROM (SELECT i, %(now)s - {closed_ago} AS r
                  FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)) AS x""",
            o + 1,
            s.loans,
        ),
        (
            # Fines on closed loans: every fifth unpaid, the others settled some days after
            # the return (never in the future).
            "fines",
            f"""INSERT INTO circulation_fine (id, reason, amount, amount_paid, assessed_at,
                waived_at, waive_reason, note, settled_at, patron_id, waived_by_id, loan_id)
            SELECT i, 'overdue', 0.25 * (1 + i % 20),
                CASE WHEN i % 5 = 0 THEN 0 ELSE 0.25 * (1 + i % 20) END,
                l.returned_at, NULL, '', '',
                CASE WHEN i % 5 = 0 THEN NULL
                     ELSE LEAST(%(now)s, l.returned_at + make_interval(days => i % 30)) END,
                l.patron_id, NULL, l.id
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)
            JOIN circulation_loan l ON l.id = {o + 1} + (i * 7) % {max(1, s.loans - o)}""",
            1,
            s.fines,
        ),
        (
            "active holds",
            f"""INSERT INTO circulation_hold (id, placed_at, status, pickup_by, closed_at,
                patron_id, pickup_branch_id, item_id, title_id, notified_at)
            SELECT i, %(now)s - make_interval(days => i % 60), 'placed', NULL, NULL,
                {_active_patron("1 + i")}, 1 + i % {BRANCHES}, NULL, 1 + i % {s.titles}, NULL
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)""",
            1,
            ha,
        ),
        (
            "closed holds",
            f"""INSERT INTO circulation_hold (id, placed_at, status, pickup_by, closed_at,
                patron_id, pickup_branch_id, item_id, title_id, notified_at)
            SELECT i, c - interval '7 days',
                (ARRAY['fulfilled','cancelled','expired'])[1 + i % 3], NULL, c,
                {_any_patron(patron_of_i)}, 1 + i % {BRANCHES}, NULL,
                1 + (i * 13) % {s.titles}, NULL
            FROM (SELECT i, %(now)s - {closed_ago} AS c
                  FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)) AS x""",
            ha + 1,
            s.holds,
        ),
        (
            "visits",
            f"""INSERT INTO circulation_visit (id, visited_at, branch_id, patron_id)
            SELECT i, %(now)s - {closed_ago}, 1 + i % {BRANCHES}, {_any_patron(patron_of_i)}
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)""",
            1,
            s.visits,
        ),
        (
            "computer sessions",
            f"""INSERT INTO circulation_computersession (id, workstation, started_at, ended_at,
                branch_id, patron_id)
            SELECT i, 'PC-' || (i % 20), e - interval '1 hour', e, 1 + i % {BRANCHES},
                {_any_patron(patron_of_i)}
            FROM (SELECT i, %(now)s - {closed_ago} AS e
                  FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)) AS x""",
            1,
            s.sessions,
        ),
        (
            # Programs: one in ten still to come, the others ended, half before the cut-off.
            "programs",
            f"""INSERT INTO circulation_program (id, name, description, branch_id, starts_at,
                ends_at, capacity, attendance_count, registration_count)
            SELECT i, 'Program ' || i, '', 1 + i % {BRANCHES}, e - interval '2 hours', e,
                NULL, 0, 0
            FROM (SELECT i, CASE WHEN i % 10 = 0 THEN %(now)s + make_interval(days => i % 30)
                                 ELSE %(now)s - {closed_ago} END AS e
                  FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)) AS x""",
            1,
            s.programs,
        ),
        (
            # Sign-ups: (program, patron) distinct, since 4999 is prime.
            "program registrations",
            f"""INSERT INTO circulation_programregistration (id, program_id, patron_id,
                registered_at, status, attended, cancelled_at)
            SELECT i, pr.id, 1 + ((i / {s.programs}) * 4999 + pr.id * 13) % {s.patrons},
                pr.starts_at - make_interval(days => 1 + i % 20), 'registered',
                i % 3 <> 0, NULL
            FROM generate_series(%(lo)s::int, %(hi)s::int) g(i)
            JOIN circulation_program pr ON pr.id = 1 + i % {s.programs}""",
            1,
            s.registrations,
        ),
        *derived.creation_statements(s),
        derived.access_statement(s.patrons),
    ]


TABLES = (
    "circulation_branch",
    "patrons_patron",
    "patrons_card",
    "circulation_title",
    "circulation_item",
    "circulation_loan",
    "circulation_fine",
    "circulation_hold",
    "circulation_visit",
    "circulation_computersession",
    "patrons_legalhold",
    "auditlog_logentry",
    *derived.TABLES,
)


def run(conn: psycopg.Connection, plan: list, now: datetime.datetime, bar: tqdm) -> None:
    """Run the statements of a plan (see `statements`), each in chunks of at most CHUNK
    rows, committing after each."""
    with conn.cursor() as cur:
        for label, sql, first, last in plan:
            sql = re.sub(r"%(?!\()", "%%", sql)  # modulo, not a placeholder
            bar.set_postfix_str(label)
            lo = first
            while lo <= last:
                hi = min(last, lo + CHUNK - 1)
                cur.execute(sql, {"lo": lo, "hi": hi, "now": now})
                bar.update(hi - lo + 1)
                lo = hi + 1
            conn.commit()


def progress(plan: list, *, quiet: bool) -> tqdm:
    total = sum(max(0, hi - lo + 1) for _, _, lo, hi in plan)
    return tqdm(total=total, unit="rows", unit_scale=True, disable=quiet, desc="data")


def generate(dsn: str, sizes: Sizes, now: datetime.datetime, *, quiet: bool = False) -> None:
    """Fill an empty, migrated database. Every statement is a chunk of at most CHUNK rows."""
    plan = statements(sizes)
    with psycopg.connect(dsn, autocommit=False) as conn, progress(plan, quiet=quiet) as bar:
        conn.execute("SET work_mem = '256MB'")  # the statistics' sorts, in memory
        run(conn, plan, now, bar)
        with conn.cursor() as cur:
            for label, sql in derived.STATISTICS:
                bar.set_postfix_str(label)
                cur.execute(sql, {"tz": settings.TIME_ZONE})
            conn.commit()
            for patron_id in LEGAL_HOLD_PATRONS:
                cur.execute(
                    """INSERT INTO patrons_legalhold (patron_id, every_kind, covers_from,
                        covers_until, reason, reference, set_at, set_by_id, released_at,
                        released_by_id)
                    VALUES (%s, TRUE, NULL, NULL, 'Benchmark: a pending court order',
                        'bench', %s, NULL, NULL, NULL)""",
                    [patron_id, now],
                )
            cur.execute(
                "UPDATE patrons_retentionpolicy SET days = %s, updated_at = %s "
                "WHERE kind = ANY(%s)",
                [RETENTION_DAYS, now, list(RECORD_KINDS)],
            )
            for table in TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            conn.commit()
        conn.autocommit = True
        bar.set_postfix_str("analyze")
        conn.execute("ANALYZE")
        # The catalog's word index is read index-only once its pages are all-visible.
        conn.execute("VACUUM circulation_titleword")
