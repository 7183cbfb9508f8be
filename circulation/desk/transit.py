"""The desk's "In transit" page: copies travelling to or from this branch, those overdue in
transit marked, and a printable transit slip for each (destination, title, barcode, call
number, origin: no patron, as a slip travels with the copy)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from circulation.desk.state import Desk, desk_context, handle_branch, slip_back
from circulation.models.transit import Transit
from circulation.selectors import transits_in_progress
from core.admin_site import AdminPage
from core.slips import render_slip

PERMISSION = "circulation.change_loan"


@require_http_methods(["GET", "POST"])
def in_transit_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    desk = Desk(request)
    if request.method == "POST":
        handle_branch(request, desk)
        return redirect(reverse("admin:circulation_in_transit"))
    showing_all = request.GET.get("all") == "1" or desk.branch is None
    rows = transits_in_progress(branch=None if showing_all else desk.branch)
    context = desk_context(
        request,
        desk,
        "In transit",
        rows=rows,
        showing_all=showing_all,
        overdue_count=sum(1 for row in rows if row.overdue),
    )
    return TemplateResponse(request, "admin/circulation/desk/in_transit.html", context)


def transit_slip_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    raw = request.GET.get("transit", "")
    transit = (
        Transit.objects.select_related("item__title", "from_branch", "to_branch")
        .filter(pk=int(raw) if raw.isdigit() else 0)
        .first()
    )
    context = {
        **admin.site.each_context(request),
        **slip_back(request),
        "title": "Transit slip",
        "transit": transit,
    }
    return render_slip(request, "admin/circulation/slips/transit.html", context)


admin.site.register_page(
    AdminPage("circulation", "in-transit", "In transit", in_transit_view, PERMISSION, order=-7)
)
admin.site.register_page(
    AdminPage(
        "circulation", "transit-slip", "Transit slip", transit_slip_view, PERMISSION, listed=False
    )
)
