"""The desk's "Lost and damaged" page: declare a copy lost (the borrower is charged its
replacement and the processing fee) or damaged (out of circulation, optionally a charge to
the patron who has it or last had it). "Declare lost" first says what it will charge and
asks to confirm. A thin caller of `circulation.services`; the lines say what happened to
the copy and the amounts charged, never to whom."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from circulation import services
from circulation.desk.forms import DeclareDamagedForm, DeclareLostForm
from circulation.desk.state import Desk, desk_context, handle_branch
from circulation.selectors.charges import lost_preview
from core.admin_site import AdminPage
from core.refusals import Refused

#: Clerks may declare a copy lost (the default roles); damaged needs `change_item`, which
#: the service checks.
PERMISSION = "circulation.declare_item_lost"


def _declare(request, action: str) -> dict | None:
    """Do the action; for "lost", first return what to confirm (the amount to charge)."""
    if action == "lost":
        form = DeclareLostForm(request.POST)
        if not form.is_valid():
            raise Refused("Scan the item's barcode.")
        return lost_preview(barcode=form.cleaned_data["barcode"])
    if action == "lost_confirm":
        form = DeclareLostForm(request.POST)
        try:
            expected = Decimal(request.POST.get("total", ""))
        except InvalidOperation:
            expected = None
        if not form.is_valid() or expected is None:
            raise Refused("Scan the item's barcode again. Nothing was changed.")
        barcode = form.cleaned_data["barcode"]
        fines = services.item_declare_lost(
            barcode=barcode, actor=request.user, expected_total=expected
        )
        charged = " and ".join(
            f"${fine.amount} {fine.get_reason_display().lower()}" for fine in fines
        )
        messages.success(
            request,
            f"Item {barcode} is marked lost."
            + (f" Charged to its borrower: {charged}." if fines else " It was not on loan."),
        )
    elif action == "damaged":
        form = DeclareDamagedForm(request.POST)
        if not form.is_valid():
            raise Refused("Scan the item's barcode; a charge is an amount such as 2.50.")
        barcode = form.cleaned_data["barcode"]
        fine = services.item_declare_damaged(
            barcode=barcode,
            charge=form.cleaned_data["charge"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        messages.success(
            request,
            f"Item {barcode} is marked damaged and out of circulation."
            + (f" ${fine.amount} charged to the patron who had it." if fine else ""),
        )
    else:
        raise Refused("Choose lost or damaged.")
    return None


@require_http_methods(["GET", "POST"])
def lost_damaged_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    desk = Desk(request)
    here = reverse("admin:circulation_lost_damaged")
    confirm = None
    if request.method == "POST":
        try:
            if not handle_branch(request, desk):
                confirm = _declare(request, request.POST.get("action", ""))
        except Refused as refusal:
            messages.error(request, refusal.message)
        except PermissionDenied as denied:
            messages.error(request, str(denied) or "You may not do that.")
        if confirm is None:
            return redirect(here)
    context = desk_context(
        request,
        desk,
        "Lost and damaged",
        lost_form=DeclareLostForm(auto_id="lost_%s"),
        damaged_form=DeclareDamagedForm(auto_id="damaged_%s"),
        confirm=confirm,
    )
    return TemplateResponse(request, "admin/circulation/desk/lost_damaged.html", context)


admin.site.register_page(
    AdminPage(
        "circulation", "lost-damaged", "Lost and damaged", lost_damaged_view, PERMISSION, order=-9
    )
)
