"""The statistics page, its CSV downloads and the annual report, in the staff site.

The pages only read `stats.figures` (anonymous tables); they show no patron record, so
they write no access log entries. Small counts in breakdowns are hidden here, in the
tables, the charts and the CSV alike (`present`).
"""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from calumet.admin_site import AdminPage

from . import figures
from .charts import chart
from .period import FiscalYearForm, PeriodForm, current_fiscal_year, default_period, fiscal_year

PERMISSION = "stats.view_statistics"


def threshold() -> int:
    return max(settings.CALUMET_STATS_SUPPRESS_BELOW, 0)


def _cell(value, suppressed: bool, below: int) -> dict:
    hidden = {"text": f"fewer than {below}", "csv": f"<{below}", "value": None, "hidden": True}
    if isinstance(value, figures.Label):
        return {"text": str(value), "csv": str(value), "value": None, "num": False}
    if isinstance(value, figures.Wait):
        if suppressed and 0 < value.holds < below:
            return {**hidden, "num": True}
        if value.days is None:
            return {"text": "—", "csv": "", "value": None, "num": True}
        return {"text": str(value.days), "csv": str(value.days), "value": value.days, "num": True}
    if isinstance(value, int):
        if suppressed and 0 < value < below:
            return {**hidden, "num": True}
        return {"text": f"{value:,}", "csv": str(value), "value": value, "num": True}
    return {"text": str(value), "csv": str(value), "value": None, "num": False}


def present(table: figures.Table) -> dict:
    """The table's cells as shown (small counts hidden), and its chart drawn from them."""
    below = threshold()
    rows = [
        [{"text": str(row[0]), "csv": str(row[0])}]
        + [_cell(value, table.suppressed, below) for value in row[1:]]
        for row in table.rows
    ]
    drawn = None
    if table.chart and any(row[i]["value"] for row in rows for i in table.series):
        labels = [row[0]["text"] for row in rows]
        series = [(table.columns[i], [row[i]["value"] for row in rows]) for i in table.series]
        drawn = chart(
            title=table.title,
            labels=labels,
            series=series,
            kind=table.chart,
            hidden_text=f"<{below}",
        )
    return {"table": table, "rows": rows, "chart": drawn}


def _csv_response(filename: str, header: list[str], rows: list[list[str]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _period_form(request):
    if {"start", "end"} & set(request.GET):
        data = {"group": "month", **request.GET.dict()}
        return PeriodForm(data)
    default = default_period()
    return PeriodForm({"start": default.start, "end": default.end, "group": default.group})


def _check(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


@require_GET
def statistics_page(request):
    _check(request)
    form = _period_form(request)
    context = {**admin.site.each_context(request), "title": "Library statistics", "form": form}
    status = 200
    if form.is_valid():
        period = form.period()
        cubes = (figures.circulation_cube(period), figures.circulation_cube(period.earlier))
        now, before = figures.totals(period, cubes[0]), figures.totals(period.earlier, cubes[1])
        wait, _ = figures.median_wait(period)
        context.update(
            period=period,
            earlier=period.earlier,
            summary=[
                ("Check-outs", now["checkouts"], before["checkouts"]),
                ("Renewals", now["renewals"], before["renewals"]),
                ("Holds placed", now["holds_placed"], before["holds_placed"]),
                ("Holds filled", now["holds_filled"], before["holds_filled"]),
                ("Visits", now["visits"], before["visits"]),
                ("Computer sessions", now["computer_sessions"], before["computer_sessions"]),
                ("Program sessions", now["program_sessions"], before["program_sessions"]),
                ("Program attendance", now["program_attendance"], before["program_attendance"]),
            ],
            median_wait=wait,
            registered_users=figures.registered_users(),
            sections=[present(table) for table in figures.page_tables(period, cubes)],
            query=period.query(),
            below=threshold(),
        )
    else:
        status = 400
    return TemplateResponse(request, "admin/stats/statistics.html", context, status=status)


@require_GET
def statistics_csv(request):
    _check(request)
    build = figures.TABLES.get(request.GET.get("table", "summary"))
    if build is None:
        raise Http404("No such table.")
    form = _period_form(request)
    if not form.is_valid():
        errors = "; ".join(m for ms in form.errors.values() for m in ms)
        return HttpResponseBadRequest(f"Choose a valid period: {errors}", content_type="text/plain")
    period = form.period()
    shown = present(build(period))
    table = shown["table"]
    filename = f"{table.slug}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    rows = [[cell["csv"] for cell in row] for row in shown["rows"]]
    return _csv_response(filename, table.columns, rows)


#: The annual report's lines: the Public Libraries Survey element, what it is, how we
#: count it (docs/statistics.md).
PLS_LINES = (
    (
        "REGBOR",
        "Registered users",
        "registered_users",
        "Patron accounts on the day the report is made.",
    ),
    ("TOTCIR", "Total circulation", "total_circulation", "Check-outs plus renewals."),
    (
        "PHYSCIR",
        "Physical item circulation",
        "total_circulation",
        "Every loan is of a physical item.",
    ),
    ("VISITS", "Library visits", "visits", "Cards scanned at the branch entrances."),
    (
        "TOTPRO",
        "Total synchronous program sessions",
        "program_sessions",
        "Programs that began in the year.",
    ),
    (
        "TOTATTEN",
        "Total synchronous program attendance",
        "program_attendance",
        "Attendance marked at those programs.",
    ),
    (
        "PITUSR",
        "Uses of public internet computers",
        "computer_sessions",
        "Public computer sessions begun in the year.",
    ),
)


def annual_figures(year: int) -> dict[str, int]:
    data = figures.totals(fiscal_year(year))
    data["total_circulation"] = data["checkouts"] + data["renewals"]
    return data


@require_GET
def annual_report(request):
    _check(request)
    form = FiscalYearForm(request.GET if "year" in request.GET else {"year": current_fiscal_year()})
    if not form.is_valid():
        context = {**admin.site.each_context(request), "title": "Annual report", "form": form}
        return TemplateResponse(request, "admin/stats/annual_report.html", context, status=400)
    year = form.cleaned_data["year"]
    period = fiscal_year(year)
    this, last = annual_figures(year), annual_figures(year - 1)
    users = figures.registered_users()
    this["registered_users"] = users
    last["registered_users"] = None  # only today's count exists
    lines = [
        {"element": e, "name": name, "value": this[key], "previous": last[key], "note": note}
        for e, name, key, note in PLS_LINES
    ]
    if request.GET.get("format") == "csv":
        rows = [
            [
                ln["element"],
                ln["name"],
                ln["value"],
                "" if ln["previous"] is None else ln["previous"],
                ln["note"],
            ]
            for ln in lines
        ]
        header = ["PLS element", "Description", f"FY{year}", f"FY{year - 1}", "How it is counted"]
        return _csv_response(f"annual-report-FY{year}.csv", header, rows)
    context = {
        **admin.site.each_context(request),
        "title": f"Annual report, fiscal year {year}",
        "form": form,
        "year": year,
        "period": period,
        "lines": lines,
        "made_on": timezone.localdate(),
    }
    return TemplateResponse(request, "admin/stats/annual_report.html", context)


admin.site.register_page(
    AdminPage(
        "stats", "statistics", "Library statistics", statistics_page, PERMISSION, listed=False
    )
)
admin.site.register_page(
    AdminPage("stats", "annual-report", "Annual report (PLS)", annual_report, PERMISSION, order=1)
)
admin.site.register_page(
    AdminPage("stats", "csv", "Statistics CSV", statistics_csv, PERMISSION, listed=False)
)
