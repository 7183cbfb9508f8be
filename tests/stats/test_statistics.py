"""The statistics page, its CSVs and the annual report: figures equal the activity
made through the services, stay the same after the expunge, hide small breakdowns, and
read no table that holds patron-linked records."""

import csv
import datetime
import io
import re

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from circulation import tasks
from circulation.models import Branch, Item, Loan, Program, Visit
from circulation.schedules import DAILY_JOBS
from privacy import retention
from privacy.models import ExpungeRun
from stats import figures
from stats.collection import expunge_runs, items_now
from stats.counts import Counts, added_up, monthly_counts
from stats.lending import circulation_by, circulation_over_time
from stats.models import OverdueDay
from stats.period import Period
from stats.titles import titles_per_month, top_titles
from tests.factories import ProgramFactory
from tests.stats.conftest import at

pytestmark = pytest.mark.django_db

MARCH = Period(timezone.datetime(2025, 3, 1).date(), timezone.datetime(2025, 3, 31).date(), "month")


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
    months = {row[0]: row[1] for row in circulation_over_time(Counts(MARCH)).rows}
    assert months == {"2025-03": 9}
    assert figures.median_wait(MARCH) == (10, 1)  # placed on the 5th, picked up the 15th
    # Three check-outs: below the threshold, the title is not named at all...
    assert top_titles(MARCH).rows == []
    assert titles_per_month(MARCH).rows == []
    # ...and with a threshold of 3 it is.
    with override_settings(CALUMET_STATS_SUPPRESS_BELOW=3):
        assert top_titles(MARCH).rows == [["The Lighthouse Keeper's Almanac", 3]]
        assert titles_per_month(MARCH).rows[0][2] == "The Lighthouse Keeper's Almanac"


#: The breakdowns the expunge may merge into "Others" (a cell of fewer than k patrons).
MERGED = ("circulation-by-item-type", "circulation-by-patron-category")


def test_figures_stay_the_same_after_the_expunge(activity):
    totals, wait, tables = _figures()
    loans, visits = Loan.objects.count(), Visit.objects.count()
    retention.expunge()
    assert Loan.objects.count() < loans and Visit.objects.count() < visits  # it did remove
    after_totals, after_wait, after_tables = _figures()
    assert after_totals == totals and after_wait == wait
    for slug, rows in tables.items():
        if slug in MERGED:
            # Merged into "Others", but each column still adds up to the same total.
            for j in range(1, len(rows[0])):
                assert sum(r[j] for r in after_tables[slug]) == sum(r[j] for r in rows)
        else:
            assert after_tables[slug] == rows, slug


@pytest.mark.parametrize(
    "first, last",
    [((2025, 2, 1), (2025, 4, 30)), ((2026, 2, 1), (2026, 4, 30)), ((2025, 3, 1), (2026, 3, 31))],
    ids=["around-the-activity", "a-year-later", "thirteen-months"],
)
def test_the_page_adds_up_its_months_to_the_same_counts(activity, first, last):
    """The page reads each month once (for its protection) and adds them up: every
    figure equals the one read for the whole period, this year's and a year earlier's."""
    period = Period(datetime.date(*first), datetime.date(*last), "month")
    whole = Counts(period)
    summed = added_up(period, monthly_counts(period.months()))
    assert whole.circulation  # the activity, or a year earlier
    assert summed.circulation == whole.circulation
    this, earlier = whole.circulation_over_time
    summed_this, summed_earlier = summed.circulation_over_time
    for bucket in period.buckets():
        assert summed_this.get(bucket, {}).get("checkouts", 0) == this.get(bucket, {}).get(
            "checkouts", 0
        )
        assert summed_earlier.get(bucket, 0) == earlier.get(bucket, 0)
    for name in ("holds", "computers", "visits", "programs", "waits"):
        assert getattr(summed, name) == getattr(whole, name), name
    assert summed.totals() == whole.totals() and summed.totals(before=True) == whole.totals(
        before=True
    )
    assert summed.median_wait() == whole.median_wait()
    tables = {t.slug: t.rows for t in figures.page_tables(whole)}
    assert {t.slug: t.rows for t in figures.page_tables(summed)} == tables


def test_year_earlier_is_compared(activity):
    later = Period(MARCH.start.replace(year=2026), MARCH.end.replace(year=2026), "month")
    rows = circulation_over_time(Counts(later)).rows
    assert rows == [["2026-03", 0, 0, 0, activity.expected["checkouts"]]]


def test_page_shows_figures_and_hides_small_breakdowns(activity, librarian_client, march):
    page = librarian_client.get(f"/admin/stats/statistics/?{march}").content.decode()
    # The whole library's nine check-outs are shown...
    assert re.search(r'class="value">9</span><span class="name">Check-outs', page)
    # ...so East Side's two are hidden, and Central's seven withheld with them (9 - 7 = 2).
    assert re.search(
        r'<th scope="row">East Side Branch</th><td class="num hidden-value">fewer than 5', page
    )
    assert re.search(
        r'<th scope="row">Central Library</th><td class="num hidden-value">withheld', page
    )
    for branch in ("East Side Branch", "Central Library"):
        assert f"{branch}, Check-outs:" not in page  # no bar in the chart either
    rows = _csv(librarian_client, "circulation-by-branch", march)
    # Numbers stay numbers: a protected cell is empty, and said why in a column of its own.
    assert rows[0][:2] == ["Branch", "Check-outs"] and rows[0][-1] == "Protected cells"
    assert rows[1][:2] == ["Central Library", ""] and "Check-outs: withheld" in rows[1][-1]
    assert rows[2][:2] == ["East Side Branch", ""]
    assert "Check-outs: fewer than 5" in rows[2][-1]


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=2)
def test_threshold_is_a_setting(activity, librarian_client, march):
    rows = _csv(librarian_client, "circulation-by-branch", march)
    assert rows[1][:2] == ["Central Library", "7"]
    assert rows[2][:2] == ["East Side Branch", "2"]
    page = librarian_client.get(f"/admin/stats/statistics/?{march}").content.decode()
    assert "Central Library, Check-outs: 7" in page and "reads “fewer than 2”" in page


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=2)
def test_a_branch_named_like_a_formula_is_text_in_the_csv(activity, librarian_client, march):
    formula = '=HYPERLINK("http://evil.example/","Click")'
    Branch.objects.filter(code="east").update(name=formula)
    rows = {row[0]: row[1] for row in _csv(librarian_client, "circulation-by-branch", march)}
    assert formula not in rows
    assert rows["'" + formula] == "2"  # text a spreadsheet will not run; the count a number
    assert rows["Central Library"] == "7"


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
    assert values["REGBOR"] == "0"  # all three registered in 2026, after the year
    assert values["TOTPRO"] == "0" and values["TOTATTEN"] == "0"


@override_settings(CALUMET_FISCAL_YEAR_START_MONTH=1)
def test_fiscal_year_start_is_a_setting(activity, librarian_client):
    page = librarian_client.get("/admin/stats/annual-report/?year=2025").content.decode()
    assert "1 January 2025 to 31 December 2025" in page


def test_period_form_refuses_bad_dates(librarian_client):
    response = librarian_client.get("/admin/stats/statistics/?start=2025-04&end=2025-03")
    assert response.status_code == 400
    assert "The end month must be on or after the start month." in response.content.decode()
    response = librarian_client.get("/admin/stats/statistics/?start=yesterday&end=2025-03-01")
    assert response.status_code == 400 and "Enter a valid date." in response.content.decode()
    response = librarian_client.get("/admin/stats/csv/?table=holds&start=2025-04-30&end=2025-03-01")
    assert response.status_code == 400
    # A month still going on is not published (its figures would change day by day).
    this_month = timezone.localdate().strftime("%Y-%m")
    response = librarian_client.get(f"/admin/stats/statistics/?start={this_month}&end={this_month}")
    assert response.status_code == 400 and "months that are over" in response.content.decode()
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
    # A run in a month that is over (the current month is not published until it is).
    retention.expunge(now=at(1, 3) + datetime.timedelta(days=45))
    run = ExpungeRun.objects.get(dry_run=False)
    may = Period(datetime.date(2025, 4, 1), datetime.date(2025, 5, 31))
    table = expunge_runs(may)
    assert len(table.rows) == 1
    loans = run.counts["loan"]["expunged"] + run.counts["loan"]["anonymised"]
    assert loans > 0
    assert table.rows[0][table.columns.index("loan")] == loans
    query = "start=2025-04&end=2025-05&group=month"
    rows = _csv(librarian_client, "expunge-runs", query)
    assert rows[1][rows[0].index("loan")] == str(loans)


def test_charts_need_no_script_or_inline_style(activity, librarian_client, march):
    response = librarian_client.get(f"/admin/stats/statistics/?{march}")
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    page = response.content.decode()
    main = page[page.index('id="content"') :]
    assert "<svg" in main and " style=" not in main and "<script" not in main


def test_totals_csv_gives_the_exact_totals(activity, librarian_client, march):
    # The library's totals are exact, like the annual report's (only breakdowns are
    # protected: docs/statistics.md, "Published figures").
    rows = _csv(librarian_client, "summary", march)
    assert rows[0] == ["Figure", "This period", "A year earlier"]
    assert ["Check-outs", "9", "0"] in rows and ["Visits", "7", "0"] in rows
    assert ["Computer sessions", "2", "0"] in rows


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=1)  # every figure readable
def test_every_figure_is_on_the_page(activity, librarian_client):
    ProgramFactory(branch=activity.east, starts_at=at(20, 18), ends_at=at(20, 20))

    Program.objects.update(attendance_count=12)
    sections = {"month": "Circulation per month"}
    for group, heading in sections.items():
        page = librarian_client.get(
            f"/admin/stats/statistics/?start=2025-03-01&end=2025-03-31&group={group}"
        ).content.decode()
        assert heading in page
        # The same period a year earlier, named and in every breakdown.
        assert "a year earlier: 1 Mar 2024 to 31 Mar 2024" in page
    rows = {
        slug: _csv(librarian_client, slug, "start=2025-03-01&end=2025-03-31&group=month")
        for slug in figures.TABLES
    }

    def row(slug, label):
        return next(r for r in rows[slug] if r[0] == label)

    assert rows["circulation"][0] == [
        *("Month", "Check-outs", "Renewals", "Returns", "Check-outs a year earlier")
    ]
    assert row("circulation", "2025-03")[1:4] == ["9", "2", "4"]
    assert row("circulation-by-branch", "Central Library")[1:4] == ["7", "2", "4"]
    assert row("circulation-by-item-type", "DVD")[1] == "2"
    assert row("circulation-by-item-type", "Book")[1] == "7"
    assert row("circulation-by-patron-category", "Adult")[1] == "6"
    assert row("circulation-by-patron-category", "Child")[1] == "3"
    # Holds placed and filled, and the median wait (placed the 5th, picked up the 15th).
    assert rows["holds"][0][1:3] == ["Placed", "Filled"] and "Median wait" in rows["holds"][0][5]
    assert row("holds", "Central Library")[1:3] == ["1", "1"]
    assert row("holds", "Central Library")[5] == "10"
    # Visits, computer sessions, program sessions and attendance per branch.
    assert row("branch-use", "Central Library")[1] == "7"
    east = row("branch-use", "East Side Branch")
    assert east[2] == "2" and east[4:6] == ["1", "12"]
    assert rows["items-now"][0][0] == "Branch" and rows["items-now"][0][1].startswith("Overdue")
    summary = {r[0]: r[1] for r in rows["summary"]}
    assert summary["Renewals"] == "2" and summary["Holds filled"] == "1"
    assert summary["Program attendance"] == "12"


@override_settings(CALUMET_STATS_SUPPRESS_BELOW=1)
def test_overdue_copies_are_counted_each_night_not_read_from_loans(activity, librarian_client):
    assert "circulation.tasks.count_overdue_items" in {func for _, func, _ in DAILY_JOBS}
    # Before any count, the page says so rather than guess from the loans.
    assert items_now().columns[1] == "Overdue (not counted yet)"
    # Five loans are still out (Central: three books; East: two DVDs), all overdue now.
    assert tasks.count_overdue_items() == 2
    table = items_now()
    today = timezone.localdate()
    assert table.columns[1] == f"Overdue (counted {today:%Y-%m-%d})"
    overdue = {row[0]: row[1] for row in table.rows}
    assert overdue == {"Central Library": 3, "East Side Branch": 2}
    # Counted again the same night, the count is replaced, not added to.
    tasks.count_overdue_items()
    assert OverdueDay.objects.filter(day=today).count() == 2
    # The count outlives the loans: the expunge removes what it may, the figure stays.
    retention.expunge()
    Loan.objects.filter(returned_at__isnull=True).update(returned_at=timezone.now())
    assert {row[0]: row[1] for row in items_now().rows} == overdue
    # Lost copies come from each copy's status.
    Item.objects.filter(branch=activity.east).update(status=Item.Status.LOST)
    east = next(row for row in items_now().rows if row[0] == "East Side Branch")
    assert east[1:3] == [2, 2]
