"""The statistics page, its CSV downloads and the annual report, in the staff site.

The pages only read `stats.figures` (anonymous tables); they show no patron record, so
they write no access log entries. Small counts are hidden in the tables, the charts and
the CSV alike (`stats.suppression`).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import csv_safe
from core.admin_site import AdminPage
from stats import figures
from stats.counts import Counts
from stats.generalise import anonymity_k
from stats.period import (
    FiscalYearForm,
    PeriodForm,
    current_fiscal_year,
    default_period,
    fiscal_year,
)
from stats.protect import Protection
from stats.suppression import cell, exact, figure, present, threshold
from stats.tables import Wait, names_read_once

PERMISSION = "stats.view_statistics"


def _csv_response(filename: str, header: list[str], rows: list[list[str]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv_safe.writer(response)
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
    with names_read_once():
        return _statistics_page(request)


def _statistics_page(request):
    form = _period_form(request)
    context = {**admin.site.each_context(request), "title": "Library statistics", "form": form}
    status = 200
    if form.is_valid():
        period = form.period()
        counts, protection = Counts(period), Protection(period)
        summary = present(figures.summary(counts))
        wait, waited = counts.median_wait()
        hidden_wait = 0 < waited < threshold()
        context.update(
            period=period,
            earlier=period.earlier,
            summary=summary["rows"],
            median_wait=cell(Wait(wait, waited), threshold(), hidden_wait),
            hidden_wait=hidden_wait,
            registered_users=figure(figures.registered_users()),
            sections=[_present(table, protection) for table in figures.page_tables(counts)],
            query=period.query(),
            below=threshold(),
            anonymity_k=anonymity_k(),
        )
    else:
        status = 400
    return TemplateResponse(request, "admin/stats/statistics.html", context, status=status)


@require_GET
def statistics_csv(request):
    _check(request)
    with names_read_once():
        return _statistics_csv(request)


def _statistics_csv(request):
    slug = request.GET.get("table", "summary")
    build = figures.TABLES.get(slug) or figures.DOWNLOADS.get(slug)
    if build is None:
        raise Http404("No such table.")
    form = _period_form(request)
    if not form.is_valid():
        errors = "; ".join(m for ms in form.errors.values() for m in ms)
        return HttpResponseBadRequest(f"Choose a valid period: {errors}", content_type="text/plain")
    period = form.period()
    shown = _present(build(Counts(period)), Protection(period))
    table = shown["table"]
    filename = f"{table.slug}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    header, rows = csv_rows(table.columns, shown["rows"])
    return _csv_response(filename, header, rows)


def _present(table, protection: Protection) -> dict:
    build = figures.TABLES.get(table.slug)
    return present(table, protection.forced(table.slug, build) if build else set())


PROTECTED = "Protected cells"


def csv_rows(columns: list[str], shown: list[list[dict]]) -> tuple[list[str], list[list]]:
    """The CSV of a table: numbers stay numbers (a spreadsheet can add them up); a
    protected cell is left empty and named, with why, in a last column of its own."""
    rows, any_hidden = [], False
    for row in shown:
        values, notes = [], []
        for name, c in zip(columns, row, strict=False):
            if c.get("hidden"):
                any_hidden = True
                values.append("")
                notes.append(f"{name}: {c['text']}")
            else:
                values.append(c["csv"])
        rows.append([*values, "; ".join(notes)])
    if not any_hidden:
        return columns, [row[:-1] for row in rows]
    return [*columns, PROTECTED], rows


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


def annual_figures(year: int) -> tuple[dict[str, int], dict[str, int]]:
    """Fiscal year `year` and the one before (the same period a year earlier)."""
    counts = Counts(fiscal_year(year))
    this, last = counts.totals(), counts.totals(before=True)
    for data in (this, last):
        data["total_circulation"] = data["checkouts"] + data["renewals"]
    return this, last


@require_GET
def annual_report(request):
    _check(request)
    form = FiscalYearForm(request.GET if "year" in request.GET else {"year": current_fiscal_year()})
    if not form.is_valid():
        context = {
            **admin.site.each_context(request),
            "title": "Annual report",
            "form": form,
            "below": threshold(),
        }
        return TemplateResponse(request, "admin/stats/annual_report.html", context, status=400)
    year = form.cleaned_data["year"]
    period = fiscal_year(year)
    this, last = annual_figures(year)
    this["registered_users"] = figures.registered_users()
    last["registered_users"] = None  # only today's count exists
    lines = [
        {
            "element": e,
            "name": name,
            # The survey's totals are exact (the whole library's year); the months and
            # breakdowns that add up to them are what is protected (stats/protect.py).
            "value": figure(this[key]) if key == "registered_users" else exact(this[key]),
            "previous": figure(last[key]) if key == "registered_users" else exact(last[key]),
            "note": note,
        }
        for e, name, key, note in PLS_LINES
    ]
    if request.GET.get("format") == "csv":
        rows = [
            [ln["element"], ln["name"], ln["value"]["csv"], ln["previous"]["csv"], ln["note"]]
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
        "below": threshold(),
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
