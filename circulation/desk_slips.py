"""Printable slips and receipts at the desk (`static/css/slips.css`: 80 mm and A4/Letter).

- Check-out receipt: the items checked out to the card being served, with due dates. It is
  handed to the patron, so it has titles; it can also be emailed if the patron asks.
- Hold slip: for a copy on the hold shelf, which is public: pickup branch, shelf expiry,
  the card's last four digits and the patron's initials only. No title.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from calumet.admin_site import AdminPage
from patrons.access import log_access

from .desk_state import Desk
from .models import Hold, Loan


def _receipt_loans(desk: Desk):
    card = desk.card("checkout")
    if card is None:
        return None, []
    state = desk._state("checkout") or {}
    item_ids = [
        line["item"] for line in state.get("lines", []) if line.get("ok") and line.get("item")
    ]
    loans = list(
        Loan.objects.filter(patron=card.patron, item_id__in=item_ids, returned_at__isnull=True)
        .select_related("item__title", "branch")
        .order_by("due_at", "pk")
    )
    return card, loans


@require_http_methods(["GET", "POST"])
def checkout_receipt_view(request):
    if not request.user.has_perm("circulation.add_loan"):
        raise PermissionDenied
    desk = Desk(request)
    card, loans = _receipt_loans(desk)
    if card is None:
        messages.error(request, "Serve a card at Check out first.")
        return redirect(reverse("admin:circulation_checkout"))
    log_access(loans or [card.patron], request=request, page="desk:checkout_receipt")
    context = {
        "library": settings.CALUMET_LIBRARY_NAME,
        "card": card.masked_number,
        "loans": loans,
        "now": timezone.now(),
    }
    if request.method == "POST":
        email = card.patron.email
        if not email:
            messages.error(request, "The patron has no email address on file.")
        elif not loans:
            messages.error(request, "Nothing was checked out in this transaction.")
        else:
            # The patron's language, though the desk is in English.
            with translation.override(card.patron.notice_language):
                body = render_to_string("circulation/notices/checkout_receipt.txt", context)
                subject = gettext("Your check-out receipt")
            send_mail(subject, body, None, [email])
            messages.success(request, "Receipt emailed to the patron.")
        return redirect(reverse("admin:circulation_checkout"))
    context.update(admin.site.each_context(request), title="Check-out receipt")
    return TemplateResponse(request, "admin/circulation/slips/checkout_receipt.html", context)


def hold_slip_view(request):
    if not request.user.has_perm("circulation.change_hold"):
        raise PermissionDenied
    raw = request.GET.get("hold", "")
    hold = (
        Hold.objects.select_related("patron", "pickup_branch", "item")
        .filter(
            pk=int(raw) if raw.isdigit() else 0,
            status__in=[Hold.Status.WAITING, Hold.Status.IN_TRANSIT],
        )
        .first()
    )
    if hold is None:
        context = {**admin.site.each_context(request), "title": "Hold slip", "hold": None}
        return TemplateResponse(request, "admin/circulation/slips/hold.html", context)
    log_access([hold], request=request, page="desk:hold_slip")
    patron = hold.patron
    card = patron.active_card
    context = {
        **admin.site.each_context(request),
        "title": "Hold slip",
        "hold": hold,
        "initials": f"{patron.first_name[:1]}.{patron.last_name[:1]}.".upper(),
        "card": card.masked_number if card else "—",
    }
    return TemplateResponse(request, "admin/circulation/slips/hold.html", context)


admin.site.register_page(
    AdminPage(
        "circulation",
        "checkout-receipt",
        "Check-out receipt",
        checkout_receipt_view,
        "circulation.add_loan",
        listed=False,
    )
)
admin.site.register_page(
    AdminPage(
        "circulation",
        "hold-slip",
        "Hold slip",
        hold_slip_view,
        "circulation.change_hold",
        listed=False,
    )
)
