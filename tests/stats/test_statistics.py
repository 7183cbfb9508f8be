"""The statistics page, its CSVs and the annual report: figures equal the activity
made through the services, stay the same after the expunge, hide small breakdowns, and
read no table that holds patron-linked records."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from circulation.models import Loan, Visit
from patrons import retention
from stats import figures
from stats.period import Period

pytestmark = pytest.mark.django_db

MARCH = Period(timezone.datetime(2025, 3, 1).date(), timezone.datetime(2025, 3, 31).date(), "day")

#: Tables whose rows name a patron: no statistics query may read them.
PATRON_LINKED = (
    "circulation_loan",
    "circulation_hold",
    "circulation_fine",
    "circulation_visit",
    "circulation_computersession",
    "circulation_programregistration",
    "patrons_card",
    "patrons_patronblock",
)


def _csv(client, table, query):
    response = client.get(f"/admin/stats/csv/?table={table}&{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _figures():
    tables = {t.slug: t.rows for t in figures.page_tables(MARCH) if t.slug != "expunge-runs"}
    return figures.totals(MARCH), figures.median_wait(MARCH), tables


def test_figures_equal_the_activity(activity):
    totals = figures.totals(MARCH)
    for name, count in activity.expected.items():
        assert totals[name] == count, name
    by_branch = {row[0]: row[1] for row in figures.circulation_by(MARCH, "branch").rows}
    assert by_branch == {"Central Library": 7, "East Side Branch": 2}
    days = {row[0]: row[1] for row in figures.circulation_over_time(MARCH).rows}
    assert days["2025-03-04"] == 3 and days["2025-03-15"] == 1 and days["2025-03-20"] == 0
    assert figures.median_wait(MARCH) == (10, 1)  # placed on the 5th, picked up the 15th
    # Three check-outs: below the threshold, the title is not named at all...
    assert figures.top_titles(MARCH).rows == []
    assert figures.titles_per_month(MARCH).rows == []
    # ...and with a threshold of 3 it is.
    with override_settings(CALUMET_STATS_SUPPRESS_BELOW=3):
        assert figures.top_titles(MARCH).rows == [["The Lighthouse Keeper's Almanac", 3]]
        assert figures.titles_per_month(MARCH).rows[0][2] == "The Lighthouse Keeper's Almanac"


def test_figures_stay_the_same_after_the_expunge(activity):
    before = _figures()
    loans, visits = Loan.objects.count(), Visit.objects.count()
    retention.expunge()
    assert Loan.objects.count() < loans and Visit.objects.count() < visits  # it did remove
    assert _figures() == before


def test_year_earlier_is_compared(activity):
    later = Period(MARCH.start.replace(year=2026), MARCH.end.replace(year=2026), "month")
    rows = figures.circulation_over_time(later).rows
    assert rows == [["2026-03", 0, 0, 0, activity.expected["checkouts"]]]


def test_page_shows_figures_and_hides_small_breakdowns(activity, librarian_client, march):
    page = librarian_client.get(f"/admin/stats/statistics/?{march}").content.decode()
    # The whole library's total for the period is not suppressed, small as it is.
    assert re.search(r'class="value">9</span><span class="name">Check-outs', page)
    # East Side's two check-outs are a breakdown: hidden in the table and the chart.
    assert re.search(
        r'<th scope="row">East Side Branch</th><td class="num hidden-value">fewer than 5', page
    )
    assert "<svg" in page and "East Side Branch, Check-outs:" not in page
    assert "Central Library, Check-outs: 7" in page
    rows = _csv(librarian_client, "circulation-by-branch", march)
    assert rows[0][:2] == ["Branch", "Check-outs"]
    assert rows[1][:2] == ["Central Library", "7"]
    assert rows[2][:2] == ["East Side Branch", "<5"]


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=2)
def test_threshold_is_a_setting(activity, librarian_client, march):
    rows = _csv(librarian_client, "circulation-by-branch", march)
    assert rows[2][:2] == ["East Side Branch", "2"]


def test_no_statistics_query_reads_a_patron_linked_table(activity, librarian_client, march):
    with CaptureQueriesContext(connection) as captured:
        assert librarian_client.get(f"/admin/stats/statistics/?{march}").status_code == 200
        for table in figures.TABLES:
            _csv(librarian_client, table, march)
        for suffix in ("", "&format=csv"):
            response = librarian_client.get(f"/admin/stats/annual-report/?year=2025{suffix}")
            assert response.status_code == 200
    statements = [q["sql"].lower() for q in captured.captured_queries]
    assert any("circulation_circulationday" in sql for sql in statements)
    for sql in statements:
        for table in PATRON_LINKED:
            assert not re.search(rf"\b{table}\b", sql), sql
        if re.search(r"\bpatrons_patron\b", sql):
            # Only the bare count of registered users, or the signed-in user's session.
            assert re.fullmatch(r'select count\(\*\) as "__count" from "patrons_patron"', sql), sql


def test_annual_report_in_the_survey_shape(activity, librarian_client):
    page = librarian_client.get("/admin/stats/annual-report/?year=2025").content.decode()
    assert "1 July 2024 to 30 June 2025" in page
    rows = list(
        csv.reader(
            io.StringIO(
                librarian_client.get(
                    "/admin/stats/annual-report/?year=2025&format=csv"
                ).content.decode()
            )
        )
    )
    assert rows[0][:4] == ["PLS element", "Description", "FY2025", "FY2024"]
    values = {row[0]: row[2] for row in rows[1:]}
    e = activity.expected
    assert values["TOTCIR"] == str(e["checkouts"] + e["renewals"])
    assert values["VISITS"] == str(e["visits"])
    assert values["PITUSR"] == str(e["computer_sessions"])
    assert values["REGBOR"] == "3"
    assert values["TOTPRO"] == "0" and values["TOTATTEN"] == "0"


@override_settings(CALUMET_FISCAL_YEAR_START_MONTH=1)
def test_fiscal_year_start_is_a_setting(activity, librarian_client):
    page = librarian_client.get("/admin/stats/annual-report/?year=2025").content.decode()
    assert "1 January 2025 to 31 December 2025" in page


def test_period_form_refuses_bad_dates(librarian_client):
    response = librarian_client.get("/admin/stats/statistics/?start=2025-03-31&end=2025-03-01")
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()
    response = librarian_client.get("/admin/stats/statistics/?start=yesterday&end=2025-03-01")
    assert response.status_code == 400 and "Enter a valid date." in response.content.decode()
    response = librarian_client.get("/admin/stats/csv/?table=holds&start=2025-03-31&end=2025-03-01")
    assert response.status_code == 400
    assert (
        librarian_client.get(
            "/admin/stats/csv/?table=nope&start=2025-03-01&end=2025-03-31"
        ).status_code
        == 404
    )
    assert librarian_client.get("/admin/stats/annual-report/?year=abc").status_code == 400


def test_only_librarians_and_up_see_statistics(clerk_client, director_client, librarian_client):
    assert clerk_client.get("/admin/stats/statistics/").status_code == 403
    assert b"Library statistics" not in clerk_client.get("/admin/").content
    for client in (librarian_client, director_client):
        assert client.get("/admin/stats/statistics/").status_code == 200
        assert b"Library statistics" in client.get("/admin/").content


def test_expunge_runs_count_records_per_kind(activity, librarian_client):
    from patrons.models import ExpungeRun
    from stats.collection import expunge_runs

    retention.expunge()
    run = ExpungeRun.objects.get(dry_run=False)
    today = timezone.localdate()
    table = expunge_runs(Period(today, today))
    assert len(table.rows) == 1
    loans = run.counts["loan"]["expunged"] + run.counts["loan"]["anonymised"]
    assert loans > 0
    assert table.rows[0][table.columns.index("loan")] == loans
    query = f"start={today}&end={today}&group=day"
    rows = _csv(librarian_client, "expunge-runs", query)
    assert rows[1][rows[0].index("loan")] == str(loans)


def test_charts_need_no_script_or_inline_style(activity, librarian_client, march):
    response = librarian_client.get(f"/admin/stats/statistics/?{march}")
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    page = response.content.decode()
    main = page[page.index('id="content"') :]
    assert "<svg" in main and " style=" not in main and "<script" not in main


def test_totals_csv_is_not_suppressed(activity, librarian_client, march):
    rows = _csv(librarian_client, "summary", march)
    assert rows[0] == ["Figure", "This period", "A year earlier"]
    assert ["Computer sessions", "2", "0"] in rows
