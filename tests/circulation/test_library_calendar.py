"""The library calendar: due dates and pickup deadlines land on the branch's next open day,
at 23:59 local time on either side of a daylight saving change, and overdue fines skip
the days the branch was closed."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from circulation import services
from circulation.models import Hold
from circulation.models.calendar import BranchCalendar, BranchClosure, OpeningHours
from tests.factories import HoldFactory, ItemFactory, LoanFactory
from tests.helpers import set_library_policy

CHICAGO = ZoneInfo("America/Chicago")
pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return datetime.datetime(y, m, d, h, 0, tzinfo=CHICAGO)


def checkout(card, clerk, branch, now):
    item = ItemFactory(branch=branch)
    return services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=clerk, branch=branch, now=now
    )


def local(moment):
    return moment.astimezone(CHICAGO)


def test_a_due_date_in_a_closure_of_several_days_moves_to_the_day_after_it(
    card, clerk, branch, book_policy
):
    # Closed for renovation Dec 20-27 (the 25th is also a yearly holiday).
    for day in range(20, 28):
        BranchClosure.objects.create(
            branch=branch, date=datetime.date(2026, 12, day), reason="Works"
        )
    loan = checkout(card, clerk, branch, at(2026, 11, 30))  # 21 days: Dec 21
    due = local(loan.due_at)
    assert (due.date(), due.hour, due.minute) == (datetime.date(2026, 12, 28), 23, 59)


def test_a_yearly_holiday_for_every_branch_closes_each_year(
    card, clerk, branch, other_branch, book_policy
):
    BranchClosure.objects.create(date=datetime.date(2000, 7, 4), yearly=True, reason="July 4")
    loan = checkout(card, clerk, other_branch, at(2027, 6, 13))  # 21 days: Jul 4 2027
    assert local(loan.due_at).date() == datetime.date(2027, 7, 5)


def test_a_branch_with_its_own_holiday_only_moves_its_own_due_dates(
    card, clerk, branch, other_branch, book_policy
):
    BranchClosure.objects.create(
        branch=other_branch, date=datetime.date(2026, 12, 21), reason="Staff day"
    )
    here = checkout(card, clerk, branch, at(2026, 11, 30))
    there = checkout(card, clerk, other_branch, at(2026, 11, 30))
    assert local(here.due_at).date() == datetime.date(2026, 12, 21)
    assert local(there.due_at).date() == datetime.date(2026, 12, 22)


def test_weekdays_without_opening_hours_are_closed(card, clerk, branch, book_policy):
    for weekday in range(6):  # Monday to Saturday; closed on Sundays
        OpeningHours.objects.create(
            branch=branch, weekday=weekday, opens=datetime.time(9), closes=datetime.time(20)
        )
    loan = checkout(card, clerk, branch, at(2026, 11, 29))  # 21 days: Sunday Dec 20
    assert local(loan.due_at).date() == datetime.date(2026, 12, 21)


@pytest.mark.parametrize(
    "checked_out, due",
    [
        (at(2026, 10, 20), datetime.date(2026, 11, 10)),  # CDT -> CST (Nov 1)
        (at(2026, 2, 25), datetime.date(2026, 3, 18)),  # CST -> CDT (Mar 8)
        (at(2026, 10, 11), datetime.date(2026, 11, 1)),  # due on the day it changes
        (at(2026, 2, 15), datetime.date(2026, 3, 8)),
    ],
)
def test_due_at_2359_local_across_daylight_saving_changes(
    card, clerk, branch, book_policy, settings, checked_out, due
):
    settings.TIME_ZONE = "America/Chicago"
    loan = checkout(card, clerk, branch, checked_out)
    local_due = local(loan.due_at)
    assert (local_due.date(), local_due.hour, local_due.minute) == (due, 23, 59)


def test_a_hold_pickup_deadline_moves_to_the_next_open_day(card, clerk, branch):
    BranchClosure.objects.create(branch=branch, date=datetime.date(2026, 12, 7), reason="Closed")
    hold = HoldFactory(patron=card.patron, pickup_branch=branch)
    item = ItemFactory(branch=branch, title=hold.title, status="on_loan")

    LoanFactory(item=item, checked_out_at=at(2026, 11, 1), due_at=at(2026, 11, 20, 23))
    services.loan_return(barcode=item.barcode, actor=clerk, branch=branch, now=at(2026, 11, 30))
    hold.refresh_from_db()
    assert hold.status == Hold.Status.WAITING
    assert local(hold.pickup_by).date() == datetime.date(2026, 12, 8)  # 7 days: Dec 7, closed


def test_overdue_fines_skip_the_days_the_branch_was_closed(
    card, clerk, branch, book_policy, lend, settings
):
    # Due Dec 1, returned Dec 6: 5 days late, 2 of them closed (3 open), 1 grace day.
    for day in (3, 4):
        BranchClosure.objects.create(branch=branch, date=datetime.date(2026, 12, day), reason="x")
    loan = lend(card.patron, now=at(2026, 11, 17), due_in_days=14)
    result = services.loan_return(barcode=loan.item.barcode, actor=clerk, now=at(2026, 12, 6))
    assert result.fine.amount == Decimal("0.75")  # 3 open days x $0.25


def test_the_policy_switch_counts_every_day(card, clerk, branch, book_policy, lend, settings):
    set_library_policy(fines_skip_closed_days=False)
    for day in (3, 4):
        BranchClosure.objects.create(branch=branch, date=datetime.date(2026, 12, day), reason="x")
    loan = lend(card.patron, now=at(2026, 11, 17), due_in_days=14)
    result = services.loan_return(barcode=loan.item.barcode, actor=clerk, now=at(2026, 12, 6))
    assert result.fine.amount == Decimal("1.25")


def test_a_yearly_closure_for_every_branch_applies_at_a_branch_with_hours(branch):
    for weekday in range(7):
        OpeningHours.objects.create(
            branch=branch, weekday=weekday, opens=datetime.time(9), closes=datetime.time(10)
        )
    BranchClosure.objects.create(date=datetime.date(2000, 1, 1), yearly=True, reason="New Year")
    calendar = BranchCalendar(branch.pk)
    assert calendar.next_open_day(datetime.date(2027, 1, 1)) == datetime.date(2027, 1, 2)
