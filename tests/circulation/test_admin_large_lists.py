"""Admin lists of tables that only grow: no COUNT(*) of the whole table on each page.
PostgreSQL's estimate stands in for an unfiltered list of a large table; a
filtered or searched list, and every list on SQLite, is counted exactly."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import paginator
from tests.factories import LoanFactory

pytestmark = pytest.mark.django_db

URL = "/admin/circulation/loan/"
postgres_only = pytest.mark.postgres("the estimate is PostgreSQL's")


def whole_table_counts(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "COUNT(*)" in q["sql"] and "circulation_loan" in q["sql"] and "WHERE" not in q["sql"]
    ]


@postgres_only
def test_an_unfiltered_large_list_takes_the_estimate(superuser_client, monkeypatch):
    LoanFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE circulation_loan")
    monkeypatch.setattr(paginator, "ESTIMATE_ABOVE", 1)  # "large" from one row
    with CaptureQueriesContext(connection) as queries:
        page = superuser_client.get(URL)
    assert page.status_code == 200
    assert whole_table_counts(queries) == []
    assert "about 3 loans" in " ".join(page.content.decode().split())


def test_a_small_table_or_sqlite_is_counted_exactly(superuser_client):
    LoanFactory.create_batch(3)
    page = superuser_client.get(URL)
    text = " ".join(page.content.decode().split())
    assert "3 loans" in text and "about 3 loans" not in text


@postgres_only
def test_a_filtered_list_is_counted_exactly(superuser_client, monkeypatch):
    LoanFactory.create_batch(2)
    LoanFactory(returned_at=None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE circulation_loan")
    monkeypatch.setattr(paginator, "ESTIMATE_ABOVE", 1)
    page = superuser_client.get(URL, {"branch__id__exact": "999999"})
    text = " ".join(page.content.decode().split())
    assert "0 loans" in text and "about" not in text.split("0 loans")[0][-10:]


def test_the_loan_list_has_a_date_filter_not_a_hierarchy_of_every_year(superuser_client):
    LoanFactory()
    page = superuser_client.get(URL)
    assert page.status_code == 200
    assert page.context["cl"].date_hierarchy is None
    assert "by checked out at" in page.content.decode().lower()
