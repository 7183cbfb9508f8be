"""Closed days as a month calendar."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from circulation.models import BranchClosure, OpeningHours
from tests.factories import BranchFactory
from tests.helpers import make_staff, signed_in

pytestmark = pytest.mark.django_db
CALENDAR = reverse("admin:circulation_closed_days_calendar")


def cell(html: str, day: int) -> str:
    """The text of the calendar's cell for `day` of the month shown."""
    for match in re.finditer(r"<td[^>]*>(.*?)</td>", html, re.S):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()
        if text.split(" ", 1)[0] == str(day):
            return text
    raise AssertionError(f"no cell for day {day}")


@pytest.fixture
def closures():
    east = BranchFactory(name="Eastside Branch")
    BranchClosure.objects.create(date=datetime.date(2000, 12, 25), yearly=True, reason="Christmas")
    BranchClosure.objects.create(branch=east, date=datetime.date(2026, 12, 3), reason="Training")
    BranchClosure.objects.create(date=datetime.date(2027, 12, 3), reason="Next year")
    return east


def test_the_month_shows_each_closed_day_on_its_day(librarian_client, closures):
    html = librarian_client.get(CALENDAR, {"month": "2026-12"}).content.decode()
    assert "<caption>December 2026: every branch</caption>" in html
    assert "Christmas" in cell(html, 25) and "All branches, every year" in cell(html, 25)
    assert "Training" in cell(html, 3) and "Eastside Branch" in cell(html, 3)
    assert "Next year" not in html  # another year's one-off date
    # A librarian may change them: each links to its page; a free day offers "Add".
    christmas = BranchClosure.objects.get(reason="Christmas")
    assert reverse("admin:circulation_branchclosure_change", args=[christmas.pk]) in html
    assert "?date=2026-12-04" in html


def test_one_branch_shows_its_own_and_the_libraries_closed_days_and_weekdays_without_hours(
    librarian_client, closures
):
    other = BranchFactory(name="Northside Branch")
    for weekday in range(6):  # Monday to Saturday; Sunday closed
        OpeningHours.objects.create(
            branch=other, weekday=weekday, opens=datetime.time(9), closes=datetime.time(17)
        )
    html = librarian_client.get(CALENDAR, {"month": "2026-12", "branch": other.pk}).content
    html = html.decode()
    assert "Training" not in html and "Christmas" in cell(html, 25)
    assert "Closed: no opening hours" in cell(html, 6)  # December 6, 2026 is a Sunday
    assert "no opening hours" not in cell(html, 7)


def test_the_clerk_may_not_open_it_and_is_told_who_may(clerk_client, closures):
    response = clerk_client.get(CALENDAR, {"month": "2026-12"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "You may not open the page “Closed days calendar”." in html
    assert "The roles Librarian and Library administrator may." in html


def test_a_view_only_role_sees_it_without_links_to_change(closures):
    reader = make_staff("reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_branchclosure"))
    html = signed_in(reader).get(CALENDAR, {"month": "2026-12"}).content.decode()
    assert "Christmas" in cell(html, 25)
    assert "/change/" not in cell(html, 25) and "?date=" not in html


@pytest.mark.parametrize(
    "query, said",
    [
        ({"month": "2026-13"}, "Choose a month such as 2026-12"),
        ({"month": "December"}, "Choose a month such as 2026-12"),
        ({"branch": "x"}, "There is no such branch"),
        ({"branch": "999999"}, "There is no such branch"),
    ],
)
def test_bad_input_is_said_and_the_page_still_answers(librarian_client, query, said):
    response = librarian_client.get(CALENDAR, query)
    assert response.status_code == 200
    assert said in response.content.decode()


def test_the_list_links_to_the_calendar(librarian_client):
    html = librarian_client.get(reverse("admin:circulation_branchclosure_changelist")).content
    assert CALENDAR in html.decode()


def test_staff_without_a_role_may_not_open_it(roleless):
    assert signed_in(roleless).get(CALENDAR).status_code == 403
