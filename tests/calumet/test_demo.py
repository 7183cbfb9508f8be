"""The demo library uses its calendar: each branch has opening hours, the library has its
closed days, and due dates and pickup deadlines land on days the branch is open. Loading
the demo twice changes nothing."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from calumet import demo
from calumet.demo_calendar import thanksgiving
from circulation.models import Branch, BranchClosure, Hold, Loan, OpeningHours, Program, Title
from circulation.models.calendar import BranchCalendar
from circulation.selectors import opening_hours_lines

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
#: A Friday a week before Christmas: loans fall due on Sundays, Mondays and December 25.
NOW = datetime.datetime(2026, 12, 18, 15, 0, tzinfo=CHICAGO)


@pytest.fixture
def library():
    demo.seed(now=NOW)
    return {branch.code: branch for branch in Branch.objects.all()}


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def test_thanksgiving_is_the_fourth_thursday_of_november():
    assert [thanksgiving(year) for year in (2024, 2025, 2026, 2027, 2030)] == [
        datetime.date(2024, 11, 28),
        datetime.date(2025, 11, 27),
        datetime.date(2026, 11, 26),
        datetime.date(2027, 11, 25),
        datetime.date(2030, 11, 28),
    ]


def test_each_demo_branch_publishes_its_opening_hours(library):
    hours = {code: opening_hours_lines(branch.hours.all()) for code, branch in library.items()}
    assert hours == {
        "main": ["Mon–Sat 9 a.m.–8 p.m.", "Sun 1 p.m.–5 p.m."],
        "east": ["Mon–Fri 10 a.m.–7 p.m.", "Sat 10 a.m.–4 p.m.", "Closed Sunday"],
        "river": ["Tue–Sat 10 a.m.–6 p.m.", "Closed Sunday and Monday"],
    }


def test_the_demo_library_has_its_closed_days(library):
    every_branch = BranchClosure.objects.filter(branch__isnull=True)
    yearly = {(c.date.month, c.date.day, c.reason) for c in every_branch.filter(yearly=True)}
    assert yearly == {
        (1, 1, "New Year's Day"),
        (7, 4, "Independence Day"),
        (12, 25, "Christmas Day"),
    }
    assert set(every_branch.filter(yearly=False).values_list("date", "reason")) == {
        (datetime.date(2026, 11, 26), "Thanksgiving Day"),
        (datetime.date(2027, 11, 25), "Thanksgiving Day"),
    }
    (own,) = BranchClosure.objects.filter(branch__isnull=False)
    assert own.branch == library["river"] and own.date.weekday() == 2  # a Wednesday
    assert own.date >= NOW.date() + datetime.timedelta(days=14)
    for code in ("main", "east"):
        assert BranchCalendar(library[code].pk).is_open(own.date)


def test_due_dates_and_pickup_deadlines_land_on_open_days(library):
    calendars = {branch.pk: BranchCalendar(branch.pk) for branch in library.values()}
    moved = 0
    for loan in Loan.objects.all():
        due = timezone.localtime(loan.due_at)
        assert calendars[loan.branch_id].is_open(due.date()), (loan.pk, due)
        assert (due.hour, due.minute) == (23, 59)
        moved += (due.date() - local_day(loan.checked_out_at)).days not in (21, 28)
    # The calendar did move some of them (a Sunday, a Monday at Riverside, Christmas).
    assert moved > 0
    (waiting,) = Hold.objects.filter(status=Hold.Status.WAITING)
    assert calendars[waiting.pickup_branch_id].is_open(local_day(waiting.pickup_by))
    # Avery's hold at the pickup branch's shelf: placed before, trapped two days ago.
    assert local_day(waiting.pickup_by) >= NOW.date() + datetime.timedelta(days=5)
    for program in Program.objects.filter(starts_at__gte=NOW):
        assert calendars[program.branch_id].is_open(local_day(program.starts_at))


def test_loading_the_demo_twice_changes_nothing(library):
    before = (OpeningHours.objects.count(), BranchClosure.objects.count(), Loan.objects.count())
    assert demo.seed(now=NOW).created is False
    assert demo.seed(now=NOW).created is False
    after = (OpeningHours.objects.count(), BranchClosure.objects.count(), Loan.objects.count())
    assert after == before


def test_a_demo_loaded_before_the_calendar_gets_it_at_the_next_load(library):
    OpeningHours.objects.all().delete()
    BranchClosure.objects.all().delete()
    demo.seed(now=NOW + datetime.timedelta(days=400))  # a year later: that year's Thanksgiving
    assert OpeningHours.objects.filter(branch=library["east"]).count() == 6
    thanksgivings = BranchClosure.objects.filter(reason="Thanksgiving Day")
    assert sorted(thanksgivings.values_list("date", flat=True)) == [
        thanksgiving(2028),
        thanksgiving(2029),
    ]
    assert BranchClosure.objects.filter(yearly=True).count() == 3
    assert BranchClosure.objects.filter(branch=library["river"]).count() == 1


def test_every_demo_title_has_a_language_and_some_are_in_spanish(library):
    assert not Title.objects.filter(language="").exists()
    assert Title.objects.filter(language="spa").count() >= 10
    assert Title.objects.filter(title="Cien años de soledad", language="spa").exists()
