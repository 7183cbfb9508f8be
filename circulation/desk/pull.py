"""The desk's "Holds to pull" page: copies on this branch's shelves that placed holds
target, by call number (printable); scanning a pulled copy puts it on the hold shelf here
or in transit to the pickup branch. No patron is named on the list."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from circulation import services
from circulation.desk.state import Desk, desk_context, handle_branch
from circulation.models import Hold
from core.admin_site import AdminPage
from core.refusals import Refused
from privacy.access import log_access

PERMISSION = "circulation.change_hold"


@require_http_methods(["GET", "POST"])
def holds_to_pull_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    desk = Desk(request)
    here = reverse("admin:circulation_holds_to_pull")
    if request.method == "POST":
        if handle_branch(request, desk):
            return redirect(here)
        hold_id = request.POST.get("hold", "")
        hold = Hold.objects.filter(pk=int(hold_id)).first() if hold_id.isdigit() else None
        if hold is None or desk.branch is None:
            messages.error(request, "Choose a hold from the list. Nothing was changed.")
            return redirect(here)
        try:
            hold = services.hold_pull(
                hold=hold,
                barcode=request.POST.get("barcode", ""),
                actor=request.user,
                branch=desk.branch,
            )
        except Refused as refusal:
            messages.error(request, refusal.message)
        else:
            log_access([hold], request=request, page="desk:holds_to_pull")
            if hold.status == Hold.Status.WAITING:
                messages.success(request, "Pulled: put it on the hold shelf (print the hold slip).")
            else:
                messages.success(
                    request, f"Pulled: send it to {hold.pickup_branch.name} (in transit)."
                )
        return redirect(here)
    holds = list(services.holds_to_pull(branch=desk.branch)) if desk.branch else []
    log_access(holds, request=request, page="desk:holds_to_pull", access="listed")
    context = desk_context(request, desk, "Holds to pull", holds=holds)
    return TemplateResponse(request, "admin/circulation/desk/holds_to_pull.html", context)


admin.site.register_page(
    AdminPage(
        "circulation", "holds-to-pull", "Holds to pull", holds_to_pull_view, PERMISSION, order=-6
    )
)
