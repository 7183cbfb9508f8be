"""The statistics page in a real browser: a librarian chooses a year, sees the charts
beside their tables with small counts hidden, and downloads a CSV; no request leaves the
site. Screenshots go to docs/screenshots/ with `make screenshots`."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from circulation.models import Item, VisitCount
from staff.roles import LIBRARIAN
from stats.models import CirculationDay, ComputerUseDay, HoldDay, HoldWait, TitleMonth
from tests.e2e.axe import axe_context, report, violations
from tests.e2e.shots import screenshot
from tests.factories import BranchFactory, ItemFactory, ProgramFactory, TitleFactory

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "calumet-demo"
YEAR = [datetime.date(2025, 1, 1) + datetime.timedelta(days=d) for d in range(365)]


def _a_year_of_counts():
    """What the desk would have counted over 2024 and 2025 at three branches: busy
    Central, middling East, and a tiny Bookmobile whose counts are small."""
    branches = [
        (BranchFactory(code="main", name="Central Library"), 30),
        (BranchFactory(code="east", name="East Side Branch"), 12),
        (BranchFactory(code="mobile", name="Bookmobile"), 0),
    ]
    rows, holds, pcs, visits = [], [], [], []
    for day in YEAR:
        for shift, earlier in ((0, False), (365, True)):
            when = day - datetime.timedelta(days=shift)
            season = 1 + (when.month in (6, 7, 8)) * 0.4 - earlier * 0.1
            for branch, busy in branches[:2]:
                for n, (item_type, category) in enumerate(
                    [
                        ("book", "adult"),
                        ("book", "child"),
                        ("dvd", "adult"),
                        ("audiobook", "senior"),
                    ]
                ):
                    checkouts = round(busy // (n + 1) * season + (when.day % 5))
                    rows.append(
                        CirculationDay(
                            day=when,
                            branch=branch,
                            item_type=item_type,
                            patron_category=category,
                            checkouts=checkouts,
                            renewals=checkouts // 4,
                            returns=max(checkouts - 1, 0),
                        )
                    )
            for branch, busy in branches[:2]:
                if not earlier:
                    holds.append(
                        HoldDay(day=when, branch=branch, placed=busy // 3, filled=busy // 4)
                    )
                    pcs.append(
                        ComputerUseDay(day=when, branch=branch, sessions=busy, minutes=busy * 45)
                    )
                    visits.append(VisitCount(day=when, branch=branch, count=busy * 9))
    mobile = branches[2][0]  # three check-outs in the year
    trips = ((datetime.date(2025, 3, 3), "adult", 1), (datetime.date(2025, 6, 9), "child", 2))
    for day, category, n in trips:
        rows.append(
            CirculationDay(
                day=day,
                branch=mobile,
                item_type="book",
                patron_category=category,
                checkouts=n,
                returns=n,
            )
        )
    CirculationDay.objects.bulk_create(rows, batch_size=2000)
    HoldDay.objects.bulk_create(holds)
    ComputerUseDay.objects.bulk_create(pcs)
    VisitCount.objects.bulk_create(visits)
    for month in range(1, 13):
        first = datetime.date(2025, month, 1)
        for wait in range(1, 15):
            HoldWait.objects.create(month=first, branch=branches[0][0], wait_days=wait, filled=9)
    titles = [TitleFactory(title=name) for name in (
        "The Lighthouse Keeper's Almanac", "Rivers of the Prairie", "Night Trains",
        "A Short History of Salt", "The Orchard Year", "Winter Garden")]  # fmt: skip
    for month in range(1, 13):
        for rank, title in enumerate(titles):
            TitleMonth.objects.create(
                month=datetime.date(2025, month, 1), title=title, checkouts=40 - 5 * rank + month
            )
    for n in range(8):
        ProgramFactory(
            branch=branches[n % 2][0],
            starts_at=datetime.datetime(2025, 2 + n, 10, 18, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2025, 2 + n, 10, 20, tzinfo=datetime.UTC),
            attendance_count=14 + n,
        )
    for _ in range(7):
        ItemFactory(branch=branches[0][0], status=Item.Status.LOST)


def test_a_librarian_reads_a_year_of_statistics(page, screenshots):
    _a_year_of_counts()
    user = get_user_model().objects.create_user("librarian", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=LIBRARIAN))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/login/")
    page.fill("#id_username", "librarian")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    page.goto("/admin/stats/statistics/")
    page.fill("#id_start", "2025-01")  # whole months (an <input type="month">)
    page.fill("#id_end", "2025-12")
    page.select_option("#id_group", "month")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Circulation per month").is_visible()
    # Each chart is an image with its numbers in a table beside it.
    chart = page.locator("#circulation-by-branch svg[role=img]")
    assert chart.is_visible()
    branches = page.locator("#circulation-by-branch table")
    assert branches.get_by_role("row", name="Central Library").is_visible()
    # The Bookmobile's few check-outs are hidden (in the year: withheld, as some of its
    # months are hidden).
    bookmobile = branches.get_by_role("row", name="Bookmobile").inner_text()
    assert "fewer than 5" in bookmobile or "withheld" in bookmobile
    # East Side's check-outs are withheld with them: the library's total less Central's
    # would otherwise give the Bookmobile's.
    assert "withheld" in branches.get_by_role("row", name="East Side Branch").inner_text()
    assert (
        page.locator("#items-now").get_by_role("columnheader", name="Lost", exact=True).is_visible()
    )
    assert page.get_by_text("The Lighthouse Keeper's Almanac").first.is_visible()
    # The method, in words, for staff.
    page.get_by_text("How patrons are protected in these figures").click()
    assert page.get_by_text("Whole months only.").is_visible()
    screenshot(page, path=str(screenshots / "statistics-page.png"), full_page=True)
    page.locator("#circulation-by-branch").screenshot(
        path=str(screenshots / "statistics-chart-by-branch.png")
    )
    with page.expect_download() as download:
        page.locator("#circulation-by-branch").get_by_role("link", name="Download as CSV").click()
    assert download.value.suggested_filename == "circulation-by-branch_2025-01-01_2025-12-31.csv"
    assert page.outside_requests == []


def test_no_wcag_violation_on_the_statistics_pages(axe, browser, live_server):
    _a_year_of_counts()
    user = get_user_model().objects.create_user("librarian", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=LIBRARIAN))
    context = axe_context(browser, live_server.url)
    page = context.new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", "librarian")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    found = {}
    for url in (
        "/admin/stats/statistics/?start=2025-01-01&end=2025-12-31&group=month",
        "/admin/stats/annual-report/?year=2025",
    ):
        page.goto(url)
        found[url] = violations(page)
    context.close()
    if any(found.values()):
        pytest.fail(f"axe-core on the statistics pages:\n{report(found)}", pytrace=False)
