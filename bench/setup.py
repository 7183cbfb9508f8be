"""Accounts the benchmark signs in with, and the query counts of the measured pages
(counted in-process with Django's test client; timing is done through gunicorn)."""

from __future__ import annotations

import re

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

from bench.data import BENCH_CARD, BENCH_PIN
from patrons.models import Patron
from staff.roles import sync_roles

ADMIN = "bench-admin"
CLERK = "bench-clerk"
PASSWORD = "bench-password-not-secret"  # noqa: S105  (a throwaway database)
SMALL_CARD = "21234000000002"


def accounts() -> None:
    sync_roles()
    users = get_user_model()
    users.objects.create_superuser(ADMIN, "admin@bench.invalid", PASSWORD)
    clerk = users.objects.create_user(CLERK, "clerk@bench.invalid", PASSWORD, is_staff=True)
    clerk.groups.add(Group.objects.get(name="Circulation staff"))
    for card in (BENCH_CARD, SMALL_CARD):
        patron = Patron.objects.get(cards__number=card)
        patron.set_pin(BENCH_PIN)
        patron.save(update_fields=["pin_hash", "pin_changed_at"])


def vacuum_dead_rows() -> list[str]:
    """VACUUM (ANALYZE) each table whose dead rows have passed autovacuum's own default
    threshold (50 + 20 % of its live rows), as autovacuum would have done between two
    runs on a server where it is on: the runs of a `--reuse` series otherwise measure the
    dead rows their predecessors left (a server started with autovacuum off keeps them
    all). Returns the tables vacuumed."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT relname FROM pg_stat_user_tables"
            " WHERE n_dead_tup > 50 + 0.2 * n_live_tup ORDER BY relname"
        )
        tables = [row[0] for row in cur.fetchall()]
        for table in tables:
            cur.execute(f'VACUUM (ANALYZE) "{table}"')
    return tables


def server_version() -> str:
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return cur.fetchone()[0]


def _portal_page(card: str) -> tuple[int, int, int, int]:
    """(queries, access entries written by the first view, by a reload, loans shown) of
    the account page. The first view of a session loads more (messages, the session) and
    writes the patron's one access entry; a reload within CALUMET_AUDIT_REPEAT_MINUTES
    writes none (it reads whether it would repeat one): its queries are the ones counted."""
    client = Client()
    response = client.post("/portal/login/", {"card_number": card, "pin": BENCH_PIN})
    if response.status_code != 302:
        raise RuntimeError(f"portal sign-in failed in-process (HTTP {response.status_code})")
    before = LogEntry.objects.count()
    client.get("/portal/")
    first = LogEntry.objects.count() - before
    before = LogEntry.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/portal/")
    if response.status_code != 200:
        raise RuntimeError(f"account page answered {response.status_code}")
    loans = len(response.context["loans"])
    return len(queries), first, LogEntry.objects.count() - before, loans


def portal_queries() -> dict:
    setup_test_environment()  # lets the test client see the page's context
    try:
        big, first, reload, loans = _portal_page(BENCH_CARD)
        small, _first, _reload, small_loans = _portal_page(SMALL_CARD)
    finally:
        teardown_test_environment()
    return {
        "current_loans": loans,
        "queries": big,
        "queries_with_few_loans": small,
        "few_loans": small_loans,
        "access_entries_first_view": first,
        "access_entries_reload": reload,
    }


COUNT = re.compile(r"SELECT COUNT\(\*\)", re.IGNORECASE)


def admin_queries() -> dict:
    client = Client()
    client.force_login(get_user_model().objects.get(username=ADMIN))
    setup_test_environment()
    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/circulation/loan/")
    finally:
        teardown_test_environment()
    if response.status_code != 200:
        raise RuntimeError(f"admin loan list answered {response.status_code}")
    counts = [q["sql"] for q in queries if COUNT.search(q["sql"])]
    full = [sql for sql in counts if "circulation_loan" in sql and " WHERE " not in sql]
    return {
        "queries": len(queries),
        "count_queries": len(counts),
        "full_table_counts": len(full),
        "rows_shown": len(response.context["cl"].result_list),
    }
