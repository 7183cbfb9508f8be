"""Closed days as a month calendar (Settings, Closed days calendar): every closed day of
the month — one-off dates and yearly holidays, of all branches or one — on the day it
falls, linking to its page; with a branch chosen, also its weekdays without opening hours.
Librarians and administrators add a closed day from the day it falls on."""

from __future__ import annotations

import calendar
import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from circulation.models import Branch, BranchClosure, OpeningHours
from core.admin_site import AdminPage

PERMISSION = "circulation.view_branchclosure"
#: The week as an American library's wall calendar has it.
FIRST_WEEKDAY = calendar.SUNDAY


def _month(text: str) -> datetime.date | None:
    """The first day of the month "2026-12", or None for anything else."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return datetime.date(year, month, 1)
    except (ValueError, TypeError):
        return None


def _shift(month: datetime.date, by: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_weeks(month: datetime.date, branch: Branch | None) -> list[list[dict | None]]:
    """The month's weeks, each a list of seven days (None outside the month), each day with
    its closed days and whether the branch has no opening hours on that weekday."""
    last = calendar.monthrange(month.year, month.month)[1]
    in_month = Q(date__year=month.year, date__month=month.month, yearly=False) | Q(
        date__month=month.month, yearly=True
    )
    closures = BranchClosure.objects.filter(in_month).select_related("branch")
    if branch is not None:
        closures = closures.filter(Q(branch=branch) | Q(branch__isnull=True))
    by_day: dict[int, list[BranchClosure]] = {}
    for closure in closures.order_by("branch__name", "pk"):
        if closure.yearly and closure.date.day > last:  # February 29 in a common year
            continue
        by_day.setdefault(closure.date.day, []).append(closure)
    hours_weekdays = (
        set(OpeningHours.objects.filter(branch=branch).values_list("weekday", flat=True))
        if branch is not None
        else set()
    )
    today = timezone.localdate()
    weeks = []
    for week in calendar.Calendar(FIRST_WEEKDAY).monthdatescalendar(month.year, month.month):
        days = []
        for day in week:
            if day.month != month.month:
                days.append(None)
                continue
            days.append(
                {
                    "date": day,
                    "today": day == today,
                    "closures": by_day.get(day.day, []),
                    "no_hours": bool(hours_weekdays) and day.weekday() not in hours_weekdays,
                }
            )
        weeks.append(days)
    return weeks


@require_safe
def closed_days_calendar(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    month = timezone.localdate().replace(day=1)
    if "month" in request.GET:
        chosen = _month(request.GET["month"])
        if chosen is None or not 1900 <= chosen.year <= 2999:
            messages.error(request, "Choose a month such as 2026-12; this month is shown.")
        else:
            month = chosen
    branch = None
    branch_id = request.GET.get("branch", "")
    if branch_id:
        branch = Branch.objects.filter(pk=int(branch_id)).first() if branch_id.isdigit() else None
        if branch is None:
            messages.error(request, "There is no such branch; every branch is shown.")

    def link(to: datetime.date) -> str:
        query = {"month": f"{to:%Y-%m}", **({"branch": branch.pk} if branch else {})}
        return f"{request.path}?{urlencode(query)}"

    weekdays = [calendar.day_name[(FIRST_WEEKDAY + offset) % 7] for offset in range(7)]
    context = {
        **admin.site.each_context(request),
        "title": "Closed days calendar",
        "month": month,
        "weeks": month_weeks(month, branch),
        "weekdays": weekdays,
        "branch": branch,
        "branches": Branch.objects.order_by("name"),
        "previous_url": link(_shift(month, -1)),
        "next_url": link(_shift(month, 1)),
        "this_month_url": link(timezone.localdate()),
        "can_add": request.user.has_perm("circulation.add_branchclosure"),
        "can_change": request.user.has_perm("circulation.change_branchclosure"),
        "add_url": reverse("admin:circulation_branchclosure_add"),
        "list_url": reverse("admin:circulation_branchclosure_changelist"),
    }
    return TemplateResponse(request, "admin/circulation/closed_days_calendar.html", context)


admin.site.register_page(
    AdminPage(
        "circulation",
        "closed-days-calendar",
        "Closed days calendar",
        closed_days_calendar,
        PERMISSION,
    )
)
