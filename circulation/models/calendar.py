"""The library calendar: days each branch is closed and its opening hours per weekday.

Due dates and hold pickup deadlines move to the branch's next open day, and (with the
library policy's `fines_skip_closed_days`, on by default) overdue fines count only the
days the branch was open. A closure with no branch closes every branch; a yearly closure
repeats on its month and day (July 4, December 25); holidays on moving dates
(Thanksgiving) are entered once per year. A branch with no opening hours at all is taken
as open every day; once it has some, a weekday without hours is a closed day.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from circulation.models.policy import library_policy

#: How far ahead to look for an open day before giving up (a branch closed for a year).
SEARCH_DAYS = 366


class BranchClosure(models.Model):
    """A closed day: a day the library (or one branch) is closed. Staff see it as
    "Closed days"; a closed day with no branch is "All branches"."""

    branch = models.ForeignKey(
        "circulation.Branch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text="All branches: every branch is closed that day.",
    )
    date = models.DateField(help_text="For a yearly holiday, any year: only month and day count.")
    yearly = models.BooleanField(
        default=False, help_text="Closed on this month and day every year."
    )
    reason = models.CharField(max_length=100, help_text="e.g. Independence Day.")

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = "closed day"
        verbose_name_plural = "closed days"
        constraints = [
            # Without a condition (a NULL branch never collides), so that forms check it
            # too: the branch page's closed days come back with an error, not a crash.
            models.UniqueConstraint(
                fields=["branch", "date"],
                name="branchclosure_one_per_branch_day",
                violation_error_message="This branch already has a closed day on this date.",
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=Q(branch__isnull=True),
                name="branchclosure_one_per_day",
                violation_error_message="All branches already have a closed day on this date.",
            ),
        ]

    def __str__(self) -> str:
        when = f"every {self.date:%B} {self.date.day}" if self.yearly else f"{self.date}"
        return f"{self.reason} ({when})"


class OpeningHours(models.Model):
    """When a branch is open on one weekday."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    branch = models.ForeignKey("circulation.Branch", on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["branch", "weekday"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.UniqueConstraint(fields=["branch", "weekday"], name="openinghours_one_per_day"),
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")),
                name="openinghours_closes_after_opening",
                violation_error_message="A branch must close after it opens.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class BranchCalendar:
    """One branch's closed days and open weekdays, loaded once (two queries); or many
    branches' at once with `of_branches` (the same two queries)."""

    def __init__(
        self,
        branch_id: int | None,
        *,
        closures: Iterable[tuple[datetime.date, bool]] | None = None,
        weekdays: set[int] | None = None,
    ) -> None:
        if closures is None or weekdays is None:
            closures, weekdays = _calendar_rows({branch_id})[branch_id]
        self._dates = set()
        self._yearly = set()
        for date, yearly in closures:
            (self._yearly.add((date.month, date.day)) if yearly else self._dates.add(date))
        self._open_weekdays = weekdays or set(range(7))

    @classmethod
    def of_branches(cls, branch_ids: Iterable[int | None]) -> dict[int | None, BranchCalendar]:
        """The calendars of these branches, in two queries whatever their number."""
        return {
            branch_id: cls(branch_id, closures=closures, weekdays=weekdays)
            for branch_id, (closures, weekdays) in _calendar_rows(set(branch_ids)).items()
        }

    def is_open(self, day: datetime.date) -> bool:
        return (
            day.weekday() in self._open_weekdays
            and day not in self._dates
            and (day.month, day.day) not in self._yearly
        )

    def next_open_day(self, day: datetime.date) -> datetime.date:
        """`day` itself when open, else the first open day after it."""
        for offset in range(SEARCH_DAYS):
            candidate = day + datetime.timedelta(days=offset)
            if self.is_open(candidate):
                return candidate
        return day

    def open_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Open days after `start` up to and including `end`."""
        days = (end - start).days
        return sum(1 for n in range(1, days + 1) if self.is_open(start + datetime.timedelta(n)))


def _calendar_rows(
    wanted: set[int | None],
) -> dict[int | None, tuple[list[tuple[datetime.date, bool]], set[int]]]:
    """Each branch's (closures as (date, yearly), open weekdays): the library-wide
    closures count for every branch; None is no branch (library-wide closures only)."""
    if not wanted:
        return {}
    ids = wanted - {None}
    shared, closures = [], defaultdict(list)
    rows = BranchClosure.objects.filter(Q(branch_id__in=ids) | Q(branch__isnull=True))
    for branch_id, date, yearly in rows.values_list("branch_id", "date", "yearly"):
        (shared if branch_id is None else closures[branch_id]).append((date, yearly))
    weekdays = defaultdict(set)
    hours = OpeningHours.objects.filter(branch_id__in=ids).values_list("branch_id", "weekday")
    for branch_id, weekday in hours:
        weekdays[branch_id].add(weekday)
    return {branch_id: (shared + closures[branch_id], weekdays[branch_id]) for branch_id in wanted}


def end_of_open_day(
    *,
    start: datetime.datetime,
    days: int,
    branch_id: int | None,
    calendar: BranchCalendar | None = None,
) -> datetime.datetime:
    """23:59 local time on the branch's first open day at least `days` days after `start`
    (made from the local date, so it is 23:59 on either side of a daylight saving change).
    `calendar`: the branch's calendar when the caller has it loaded (no query then)."""
    day = timezone.localdate(start) + datetime.timedelta(days=days)
    day = (calendar or BranchCalendar(branch_id)).next_open_day(day)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


def days_late(*, due_at: datetime.datetime, returned_at: datetime.datetime, branch_id) -> int:
    """Days a return is late: the branch's open days only, unless the policy switch says
    every calendar day counts."""
    due, returned = timezone.localdate(due_at), timezone.localdate(returned_at)
    if returned <= due:
        return 0
    if not library_policy().fines_skip_closed_days:
        return (returned - due).days
    return BranchCalendar(branch_id).open_days_between(due, returned)
