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
from stats import figures, survey
from stats.counts import Counts, added_up
from stats.generalise import anonymity_k
from stats.period import (
    FiscalYearForm,
    PeriodForm,
    default_period,
    fiscal_year,
    last_complete_fiscal_year,
)
from stats.protect import Protection
from stats.suppression import cell, figure, present, threshold
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
        protection = Protection(period)
        # Every figure of the page adds up from the months the protection reads.
        counts = added_up(period, protection.months)
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


@require_GET
def annual_report(request):
    """The annual survey (PLS) for one fiscal year that is over, the last one unless
    asked: a page (printable) and a CSV (`stats.survey`)."""
    _check(request)
    data = request.GET if "year" in request.GET else {"year": last_complete_fiscal_year()}
    form = FiscalYearForm(data)
    context = {**admin.site.each_context(request), "form": form, "below": threshold()}
    if not form.is_valid():
        context["title"] = "Annual report"
        return TemplateResponse(request, "admin/stats/annual_report.html", context, status=400)
    year = form.cleaned_data["year"]
    lines = survey.lines(year)
    if request.GET.get("format") == "csv":
        header, rows = survey.csv_table(year, lines)
        return _csv_response(f"annual-report-FY{year}.csv", header, rows)
    sections: dict[str, list] = {}
    for line in lines:
        sections.setdefault(line["element"].section, []).append(line)
    context.update(
        title=f"Annual report, fiscal year {year}",
        year=year,
        period=fiscal_year(year),
        sections=sections.items(),
        made_on=timezone.localdate(),
    )
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
