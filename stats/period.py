"""The period a statistics page covers: the form that chooses it, the same period a year
earlier, the buckets of a day/week/month grouping, and the fiscal year."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils import timezone

#: Figures are published for whole calendar months that are over, and nothing finer: a
#: period to the day (or a month still going on) would give back a hidden count as the
#: difference of two pages (docs/statistics.md, "Published figures").
GROUPINGS = (("month", "Month"),)
#: A period longer than this is refused (a page of ten years of days helps no one).
MAX_DAYS = 3 * 366


def year_earlier(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    group: str = "month"

    @property
    def earlier(self) -> Period:
        return Period(year_earlier(self.start), year_earlier(self.end), self.group)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """Local midnight at the start, and at the day after the end (for datetimes)."""
        zone = timezone.get_current_timezone()
        first = datetime.datetime.combine(self.start, datetime.time(), zone)
        after = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time())
        return first, after.replace(tzinfo=zone)

    def bucket(self, day: datetime.date) -> datetime.date:
        if self.group == "week":
            return day - datetime.timedelta(days=day.weekday())
        if self.group == "month":
            return day.replace(day=1)
        return day

    def buckets(self) -> list[datetime.date]:
        result, day = [], self.bucket(self.start)
        while day <= self.end:
            result.append(day)
            if self.group == "month":
                day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            else:
                day += datetime.timedelta(days=7 if self.group == "week" else 1)
        return result

    def shifted_bucket(self, earlier_bucket: datetime.date) -> datetime.date:
        """Where a bucket of the year-earlier period falls in this one."""
        if self.group == "week":
            return earlier_bucket + datetime.timedelta(weeks=52)
        if self.group == "month":
            return earlier_bucket.replace(year=earlier_bucket.year + 1)
        try:
            return earlier_bucket.replace(year=earlier_bucket.year + 1)
        except ValueError:
            return earlier_bucket + datetime.timedelta(days=365)

    def label(self, bucket: datetime.date) -> str:
        if self.group == "month":
            return bucket.strftime("%Y-%m")
        if self.group == "week":
            return f"Week of {bucket.isoformat()}"
        return bucket.isoformat()

    def months(self) -> list[datetime.date]:
        """The first day of every month the period covers."""
        return Period(self.start, self.end, "month").buckets()

    def query(self) -> str:
        return f"start={self.start.isoformat()}&end={self.end.isoformat()}&group={self.group}"


def month_end(day: datetime.date) -> datetime.date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )


def last_closed_month_end() -> datetime.date:
    """The last day of the last month that is over (figures are published to it)."""
    return timezone.localdate().replace(day=1) - datetime.timedelta(days=1)


def default_period() -> Period:
    """The twelve months that are over."""
    end = last_closed_month_end()
    year, month = (end.year, 1) if end.month == 12 else (end.year - 1, end.month + 1)
    return Period(datetime.date(year, month, 1), end)


class MonthField(forms.DateField):
    """A month, as 2026-11 (what an <input type="month"> sends) or any day of it."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]


class PeriodForm(forms.Form):
    start = MonthField(label="From (month)")
    end = MonthField(label="To (month)")
    group = forms.ChoiceField(label="Group by", choices=GROUPINGS, initial="month")

    def clean(self):
        """Whole months, the last one over: the start month's first day to the end
        month's last day, and never a month still going on."""
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            start, end = start.replace(day=1), month_end(end)
            if end < start:
                raise forms.ValidationError("The end month must be on or after the start month.")
            last = last_closed_month_end()
            if start > last:
                raise forms.ValidationError(
                    "Figures are published for months that are over: choose "
                    f"{last:%Y-%m} or an earlier month."
                )
            end = min(end, last)
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError("Choose a period of at most three years.")
            data["start"], data["end"] = start, end
        return data

    def period(self) -> Period:
        data = self.cleaned_data
        return Period(data["start"], data["end"], data["group"])


def fiscal_year(year: int) -> Period:
    """Fiscal year `year` is the one that ends in that calendar year (FY2026 = July 2025
    to June 2026 with the default start month); a January start is the calendar year."""
    month = settings.CALUMET_FISCAL_YEAR_START_MONTH
    if month == 1:
        return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31), "month")
    start = datetime.date(year - 1, month, 1)
    end = datetime.date(year, month, 1) - datetime.timedelta(days=1)
    return Period(start, end, "month")


def current_fiscal_year() -> int:
    today = timezone.localdate()
    month = settings.CALUMET_FISCAL_YEAR_START_MONTH
    return today.year + 1 if month != 1 and today.month >= month else today.year


def last_complete_fiscal_year() -> int:
    """The latest fiscal year that is over (the annual survey's default)."""
    return current_fiscal_year() - 1


class FiscalYearForm(forms.Form):
    year = forms.IntegerField(label="Fiscal year", min_value=2000, max_value=2100)

    def clean_year(self) -> int:
        """A fiscal year that is over: a year still going on would give figures that
        change day by day, and two days' reports would differ by a day's exact count
        (docs/statistics.md, "Published figures")."""
        year = self.cleaned_data["year"]
        last = last_complete_fiscal_year()
        if year > last:
            raise forms.ValidationError(
                f"Fiscal year {year} is not over: its figures are published once it ends. "
                f"Choose {last} or an earlier year."
            )
        return year
