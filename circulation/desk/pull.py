"""The desk's "Holds to pull" page: copies on this branch's shelves that placed holds
target, by call number (printable); scanning a pulled copy puts it on the hold shelf here
or in transit to the pickup branch, and its line links to the copy's slip (all of them
print in one go). No patron is named on the list."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from circulation import services
from circulation.desk.state import Desk, batch_link, desk_context, handle_branch
from circulation.models import Hold
from circulation.selectors import holds_to_pull, open_transit
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
        if request.POST.get("action") == "clear":
            desk.end("pull")
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
                text, slip = "Pulled: put it on the hold shelf.", ("hold", hold.pk)
            else:
                transit = open_transit(item=hold.item)
                text = f"Pulled: send it to {hold.pickup_branch.name} (in transit)."
                slip = ("transit", transit.pk) if transit else None
            desk.add_line(
                "pull",
                barcode="",
                item=hold.item,
                ok=True,
                text=text,
                patrons=[hold.patron_id],
                slip=slip,
            )
            messages.success(request, text + " Print its slip from the list below.")
        return redirect(here)
    holds = list(holds_to_pull(branch=desk.branch)) if desk.branch else []
    log_access(holds, request=request, page="desk:holds_to_pull", access="listed")
    lines = desk.lines("pull")
    context = desk_context(
        request,
        desk,
        "Holds to pull",
        holds=holds,
        lines=lines,
        lines_caption="Pulled",
        **batch_link(lines, page="pull"),
    )
    return TemplateResponse(request, "admin/circulation/desk/holds_to_pull.html", context)


admin.site.register_page(
    AdminPage(
        "circulation", "holds-to-pull", "Holds to pull", holds_to_pull_view, PERMISSION, order=-6
    )
)
