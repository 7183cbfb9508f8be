"""The demo library's calendar: each branch's opening hours, the closed days of all
branches (three yearly holidays and Thanksgiving for this year and the next) and one
branch's own closed day. `ensure_calendar` adds only what is missing, so `make demo` can
run again, and a demo loaded before the library had a calendar gets one."""

import datetime

from calumet.demo_data import BRANCH_CLOSED_DAY, BRANCH_HOURS, THANKSGIVING, YEARLY_CLOSED_DAYS
from circulation.models import Branch, BranchClosure, OpeningHours
from circulation.models.calendar import BranchCalendar

WEDNESDAY, THURSDAY = 2, 3


def thanksgiving(year: int) -> datetime.date:
    """The fourth Thursday of November."""
    first = datetime.date(year, 11, 1)
    return first + datetime.timedelta(days=(THURSDAY - first.weekday()) % 7 + 21)


def ensure_calendar(today: datetime.date) -> None:
    """Opening hours for each demo branch that has none, and the demo's closed days that
    are not there yet."""
    branches = {b.code: b for b in Branch.objects.filter(code__in=BRANCH_HOURS)}
    for code, branch in branches.items():
        if not branch.hours.exists():
            OpeningHours.objects.bulk_create(
                OpeningHours(
                    branch=branch,
                    weekday=day,
                    opens=datetime.time.fromisoformat(opens),
                    closes=datetime.time.fromisoformat(closes),
                )
                for first, last, opens, closes in BRANCH_HOURS[code]
                for day in range(first, last + 1)
            )
    every_branch = BranchClosure.objects.filter(branch__isnull=True)
    for month, day, reason in YEARLY_CLOSED_DAYS:
        if not every_branch.filter(yearly=True, date__month=month, date__day=day).exists():
            BranchClosure.objects.create(
                date=datetime.date(today.year, month, day), yearly=True, reason=reason
            )
    for year in (today.year, today.year + 1):
        BranchClosure.objects.get_or_create(
            branch=None, date=thanksgiving(year), defaults={"reason": THANKSGIVING}
        )
    code, reason = BRANCH_CLOSED_DAY
    branch = branches.get(code)
    if branch is not None and not branch.closures.filter(reason=reason).exists():
        BranchClosure.objects.create(
            branch=branch, date=_open_wednesday(branch, today), reason=reason
        )


def _open_wednesday(branch: Branch, today: datetime.date) -> datetime.date:
    """The first Wednesday at least two weeks ahead on which the branch is open."""
    calendar = BranchCalendar(branch.pk)
    day = today + datetime.timedelta(days=14)
    day += datetime.timedelta(days=(WEDNESDAY - day.weekday()) % 7)
    while not calendar.is_open(day):
        day += datetime.timedelta(days=7)
    return day


def open_day(calendar: BranchCalendar, day: datetime.datetime, weekdays) -> datetime.datetime:
    """The first of `weekdays` (Monday = 0) from `day` on which the branch is open."""
    while day.weekday() not in weekdays or not calendar.is_open(day.date()):
        day += datetime.timedelta(days=1)
    return day
