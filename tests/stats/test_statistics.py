"""The statistics page, its CSVs and the annual report: figures equal the activity
made through the services, stay the same after the expunge, hide small breakdowns, and
read no table that holds patron-linked records."""

import csv
import io
import re

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from circulation.models import Loan, Visit
from patrons import retention
from stats import figures
from stats.counts import Counts
from stats.lending import circulation_by, circulation_over_time
from stats.period import Period
from stats.titles import titles_per_month, top_titles

pytestmark = pytest.mark.django_db

MARCH = Period(timezone.datetime(2025, 3, 1).date(), timezone.datetime(2025, 3, 31).date(), "day")


def _csv(client, table, query):
    response = client.get(f"/admin/stats/csv/?table={table}&{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _figures():
    counts = Counts(MARCH)
    tables = {t.slug: t.rows for t in figures.page_tables(counts) if t.slug != "expunge-runs"}
    return counts.totals(), counts.median_wait(), tables


def test_figures_equal_the_activity(activity):
    totals = figures.totals(MARCH)
    for name, count in activity.expected.items():
        assert totals[name] == count, name
    by_branch = {row[0]: row[1] for row in circulation_by(Counts(MARCH), "branch").rows}
    assert by_branch == {"Central Library": 7, "East Side Branch": 2}
    days = {row[0]: row[1] for row in circulation_over_time(Counts(MARCH)).rows}
    assert days["2025-03-04"] == 3 and days["2025-03-15"] == 1 and days["2025-03-20"] == 0
    assert figures.median_wait(MARCH) == (10, 1)  # placed on the 5th, picked up the 15th
    # Three check-outs: below the threshold, the title is not named at all...
    assert top_titles(MARCH).rows == []
    assert titles_per_month(MARCH).rows == []
    # ...and with a threshold of 3 it is.
    with override_settings(CALUMET_STATS_SUPPRESS_BELOW=3):
        assert top_titles(MARCH).rows == [["The Lighthouse Keeper's Almanac", 3]]
        assert titles_per_month(MARCH).rows[0][2] == "The Lighthouse Keeper's Almanac"


def test_figures_stay_the_same_after_the_expunge(activity):
    before = _figures()
    loans, visits = Loan.objects.count(), Visit.objects.count()
    retention.expunge()
    assert Loan.objects.count() < loans and Visit.objects.count() < visits  # it did remove
    assert _figures() == before


def test_year_earlier_is_compared(activity):
    later = Period(MARCH.start.replace(year=2026), MARCH.end.replace(year=2026), "month")
    rows = circulation_over_time(Counts(later)).rows
    assert rows == [["2026-03", 0, 0, 0, activity.expected["checkouts"]]]


def test_page_shows_figures_and_hides_small_breakdowns(activity, librarian_client, march):
    page = librarian_client.get(f"/admin/stats/statistics/?{march}").content.decode()
    # The whole library's nine check-outs are shown...
    assert re.search(r'class="value">9</span><span class="name">Check-outs', page)
    # ...so East Side's two are hidden, and Central's seven with them (9 - 7 = 2).
    for branch in ("East Side Branch", "Central Library"):
        assert re.search(
            rf'<th scope="row">{branch}</th><td class="num hidden-value">fewer than 5', page
        )
        assert f"{branch}, Check-outs:" not in page  # no bar in the chart either
    rows = _csv(librarian_client, "circulation-by-branch", march)
    assert rows[0][:2] == ["Branch", "Check-outs"]
    assert rows[1][:2] == ["Central Library", "<5"]
    assert rows[2][:2] == ["East Side Branch", "<5"]


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=2)
def test_threshold_is_a_setting(activity, librarian_client, march):
    rows = _csv(librarian_client, "circulation-by-branch", march)
    assert rows[1][:2] == ["Central Library", "7"]
    assert rows[2][:2] == ["East Side Branch", "2"]
    page = librarian_client.get(f"/admin/stats/statistics/?{march}").content.decode()
    assert "Central Library, Check-outs: 7" in page and "reads “fewer than 2”" in page


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=1)  # exact figures (suppression: its own test)
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


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=1)
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


def test_totals_csv_hides_small_totals(activity, librarian_client, march):
    rows = _csv(librarian_client, "summary", march)
    assert rows[0] == ["Figure", "This period", "A year earlier"]
    assert ["Check-outs", "9", "0"] in rows and ["Visits", "7", "0"] in rows
    assert ["Computer sessions", "<5", "0"] in rows
