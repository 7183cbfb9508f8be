"""The shelf check's staff pages: the list of sessions with a form to start one; a
session's page (scan one barcode, upload a file, the report with its corrections, close);
its printable report; its CSV. Thin callers of `inventory.services` and
`inventory.selectors`. No page names a patron: a copy on loan is shown as on loan."""

from __future__ import annotations

import functools

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from circulation.models import Hold, Item
from core import csv_safe
from core.refusals import attempt
from inventory import selectors, services
from inventory.barcodes import MAX_FILE_MB
from inventory.forms import ScanForm, StartForm, UploadForm

PERMISSION = "inventory.run_inventory"
#: The desk's check-in, which the report's correction is.
CHECK_IN_PERMISSION = "circulation.change_loan"
#: Missing copies listed on the session's page (all of them are in the printable report
#: and the CSV).
MISSING_SHOWN = 200
#: Inventories listed on the Inventory page, newest first (all: Catalog → Inventory
#: sessions).
SESSIONS_SHOWN = 50


def _allowed(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


class _NoSuchSession(Exception):
    pass


def _session_or_list(raw):
    """The inventory asked for; without one (or one that is not there) the page sends
    staff back to the list of inventories."""
    session = selectors.session_by_id(raw)
    if session is None:
        raise _NoSuchSession
    return session


def _back_to_the_list(request):
    messages.error(request, "No such inventory: choose one from the list.")
    return redirect(reverse("admin:inventory_inventory"))


def _with_session(view):
    """The view gets the inventory named by `session` (in the address or the form)."""

    @functools.wraps(view)
    def wrapped(request):
        _allowed(request)
        try:
            session = _session_or_list(request.GET.get("session") or request.POST.get("session"))
        except _NoSuchSession:
            return _back_to_the_list(request)
        return view(request, session)

    return wrapped


def _session_url(session) -> str:
    return f"{reverse('admin:inventory_inventory_session')}?session={session.pk}"


@require_http_methods(["GET", "POST"])
def inventory_view(request):
    _allowed(request)
    form = StartForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") != "start":
            messages.error(request, "Choose what to do.")
        elif form.is_valid():
            session = attempt(
                request,
                lambda: services.inventory_start(actor=request.user, **form.cleaned_data),
            )
            if session:
                messages.success(request, "Inventory started: scan the shelf.")
                return redirect(_session_url(session))
        else:
            messages.error(request, "Choose a branch; a call number has at most 50 characters.")
    context = {
        **admin.site.each_context(request),
        "title": "Inventory",
        "form": form,
        "sessions": selectors.sessions()[:SESSIONS_SHOWN],
        "sessions_shown": SESSIONS_SHOWN,
    }
    return TemplateResponse(request, "admin/inventory/home.html", context)


def _scan_message(scan, created: bool, session) -> tuple[int, str]:
    what = f"{scan.barcode}"
    if scan.item_id is None:
        return messages.WARNING, f"{what}: unknown barcode (not in the catalog)."
    item = Item.objects.select_related("title", "branch").get(pk=scan.item_id)
    what = f"{scan.barcode} {item.title.title}"
    if not created:
        return messages.INFO, f"{what}: already scanned (counted once)."
    notes = []
    if item.branch_id != session.branch_id:
        notes.append(f"belongs to {item.branch.name}")
    if item.status != Item.Status.AVAILABLE:
        notes.append(f"recorded as {item.get_status_display().lower()}")
    elif not notes and not selectors.in_range(session, Item.objects.filter(pk=item.pk)).exists():
        notes.append("outside this inventory's range: misshelved?")
    if notes:
        return messages.WARNING, f"{what}: {', '.join(notes)}."
    return messages.SUCCESS, f"{what}: on the shelf."


def _check_in_message(result) -> str:
    parts = list(result.notes)
    if result.fine is not None:
        parts.append(f"fine assessed ${result.fine.amount}")
    if result.transit is not None:
        parts.append(
            f"send home to {result.transit.to_branch.name} (its slip is on the desk's In transit)"
        )
    if result.hold is not None:
        parts.append(
            "it fills a hold: put it on the hold shelf (its slip is on the desk's Hold shelf)"
            if result.hold.status == Hold.Status.WAITING
            else f"it fills a hold: send it to {result.hold.pickup_branch.name} (its slip is "
            "on the desk's In transit)"
        )
    return f"{result.barcode} checked in: {', '.join(parts) or 'done'}."


def _act(request, session) -> None:
    action = request.POST.get("action", "")
    if action == "scan":
        form = ScanForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Scan or type a barcode.")
            return
        done = attempt(
            request,
            lambda: services.inventory_scan(
                session=session, barcode=form.cleaned_data["barcode"], actor=request.user
            ),
        )
        if done:
            level, text = _scan_message(*done, session)
            messages.add_message(request, level, text)
    elif action == "upload":
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "Choose a file of barcodes to upload.")
            return
        done = attempt(
            request,
            lambda: services.inventory_upload(
                session=session,
                # No more than the service takes: a larger file is refused unread.
                content=form.cleaned_data["file"].read(MAX_FILE_MB * 1024 * 1024 + 1),
                actor=request.user,
            ),
        )
        if done:
            new, again = done
            messages.success(
                request, f"{new} barcode(s) recorded; {again} already scanned or repeated."
            )
    elif action == "check_in":
        if not request.user.has_perm(CHECK_IN_PERMISSION):
            raise PermissionDenied
        raw = request.POST.get("item", "")
        item = Item.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
        if item is None:
            messages.error(request, "That copy is not in the catalog.")
            return
        result = attempt(
            request,
            lambda: services.inventory_check_in(session=session, item=item, actor=request.user),
        )
        if result:
            messages.success(request, _check_in_message(result))
    elif action == "close":
        if attempt(request, lambda: services.inventory_close(session=session, actor=request.user)):
            messages.success(request, "Inventory closed. Its report stays here.")
    else:
        messages.error(request, "Choose what to do.")


@require_http_methods(["GET", "POST"])
@_with_session
def session_view(request, session):
    if request.method == "POST":
        _act(request, session)
        return redirect(_session_url(session))
    report = selectors.report(session)
    context = {
        **admin.site.each_context(request),
        "title": f"Inventory of {session.branch.name}",
        "session": session,
        "report": report,
        "missing_shown": report.missing[:MISSING_SHOWN],
        "scan_form": ScanForm(),
        "upload_form": UploadForm(),
        "may_check_in": request.user.has_perm(CHECK_IN_PERMISSION),
    }
    return TemplateResponse(request, "admin/inventory/session.html", context)


@require_GET
@_with_session
def report_view(request, session):
    context = {
        **admin.site.each_context(request),
        "title": f"Inventory report: {session.branch.name}",
        "session": session,
        "report": selectors.report(session),
        "printed_on": timezone.localdate(),
    }
    return TemplateResponse(request, "admin/inventory/report.html", context)


@require_GET
@_with_session
def csv_view(request, session):
    report = selectors.report(session)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="inventory-{session.branch.code}-{session.pk}.csv"'
    )
    out = csv_safe.writer(response)
    out.writerow(["finding", "barcode", "title", "call number", "recorded status", "branch"])
    sections = (
        ("missing", report.missing),
        ("recorded otherwise", report.recorded_otherwise),
        ("wrong branch", report.wrong_branch),
        ("out of range", report.out_of_range),
    )
    for finding, lines in sections:
        for line in lines:
            out.writerow(
                [
                    finding,
                    line.barcode,
                    line.title,
                    line.call_number,
                    line.status_label,
                    line.branch or session.branch.name,
                ]
            )
    for barcode in report.unknown:
        out.writerow(["unknown barcode", barcode, "", "", "", ""])
    return response
