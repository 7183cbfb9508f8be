"""No statistics query touches a table holding patron-linked records: every SQL statement
of the statistics page, each of its CSV downloads, the annual report (page and CSV) and
the public transparency page is captured and read.

The forbidden tables come from the record registry (every kind's model), plus the
patron and card tables, the audit log and the sessions. The staff member's own sign-in
needs two of them, and is let through precisely: the session row of that staff member's
session key, and the auth_user row of that staff member's id. The patron table may only
be counted whole (the registered users)."""

import re

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circulation import services
from patrons.models import Card, Patron
from privacy.registry import registry
from stats import figures
from tests.factories import DisclosureRequestFactory, DisclosureScopeFactory

pytestmark = pytest.mark.django_db


def forbidden_tables() -> set[str]:
    models = {*registry.models, Patron, Card, LogEntry, Session, get_user_model()}
    return {model._meta.db_table for model in models}


def _statements(client, urls) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
    return [q["sql"] for q in captured.captured_queries]


def _check(statements, tables, *, session_key=None, user_id=None) -> int:
    """Fail on any statement naming a forbidden table, but for the staff member's own
    session and user rows and the bare count of patrons. Returns the statements read."""
    for sql in statements:
        named = {t for t in tables if re.search(rf'"{re.escape(t)}"', sql)}
        if not named:
            continue
        if named == {"django_session"} and session_key:
            assert re.search(rf"\"django_session\".\"session_key\" = '{session_key}'", sql), sql
            continue
        if named == {"auth_user"} and user_id:
            assert re.search(rf'"auth_user"."id" = {user_id}\b', sql), sql
            continue
        if named == {"patrons_patron"}:
            # The statistics page's bare count, or the survey's registered users: a count
            # of those registered by the year's end and not expired three years before.
            bare = r'SELECT COUNT\(\*\) AS "__count" FROM "patrons_patron"'
            value = r"'[^']*'\S*"  # a quoted date or time, maybe with its type
            registered = (
                bare + rf' WHERE \("patrons_patron"."card_expires_on" >= {value} AND '
                rf'"patrons_patron"."registered_at" < {value}\)'
            )
            assert re.fullmatch(bare, sql) or re.fullmatch(registered, sql), sql
            continue
        pytest.fail(f"A statistics query reads {sorted(named)}: {sql}")
    return len(statements)


def test_the_forbidden_tables_come_from_the_registry():
    tables = forbidden_tables()
    for table in ("circulation_loan", "circulation_hold", "circulation_visit", "patrons_card"):
        assert table in tables
    assert "disclosures_disclosurescope" in tables  # the patrons a request names
    assert "auditlog_logentry" in tables and "django_session" in tables
    assert not {"circulation_circulationday", "circulation_item"} & tables


def test_no_statistics_query_reads_a_patron_linked_table(activity, librarian, librarian_client):
    services.record_overdue_counts()
    query = "start=2025-03-01&end=2025-03-31&group=month"
    urls = [
        f"/admin/stats/statistics/?{query}",
        "/admin/stats/statistics/?start=2025-01-01&end=2025-12-31&group=month",
        *(f"/admin/stats/csv/?table={slug}&{query}" for slug in figures.TABLES),
        *(f"/admin/stats/csv/?table={slug}&{query}" for slug in figures.DOWNLOADS),
        "/admin/stats/annual-report/?year=2025",
        "/admin/stats/annual-report/?year=2025&format=csv",
    ]
    statements = _statements(librarian_client, urls)
    assert any("circulation_circulationday" in sql for sql in statements)
    assert any("circulation_overdueday" in sql for sql in statements)
    assert any('"patrons_patron"' in sql for sql in statements)  # the count, let through
    session_key = librarian_client.session.session_key
    assert any(session_key in sql for sql in statements)  # the sign-in, let through
    _check(statements, forbidden_tables(), session_key=session_key, user_id=librarian.pk)


def test_the_transparency_page_reads_no_patron_linked_table(client, librarian):
    request = DisclosureRequestFactory(patrons_named=1)
    DisclosureScopeFactory(request=request)
    statements = _statements(client, ["/transparency/"])
    # The yearly counts, not even the register of requests.
    assert any("disclosures_disclosureyear" in sql for sql in statements)
    assert not any("disclosures_disclosurerequest" in sql for sql in statements)
    _check(statements, forbidden_tables())
