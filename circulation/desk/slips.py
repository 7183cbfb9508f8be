"""Printable slips and receipts at the desk (`static/css/slips.css`: 80 mm and A4/Letter),
each in the language of the patron it is handed to (`core.slips.render_slip`).

- Check-out receipt: the items checked out to the card being served, with due dates. It is
  handed to the patron, so it has titles; it can also be emailed if the patron asks.
  "Items out" (`?all=1`) lists every current loan of the card served, at any time.
- Hold slip: for a copy on the hold shelf, which is public: pickup branch, shelf expiry,
  the card's last four digits and the patron's initials only. No title.
- Payment receipt: every payment (receipt number, method, what was paid by kind, with the
  title when a charge was for a copy: it is handed to the patron) and every waiver (the
  reason, not the staff note) of the transaction at "Take payment", the cash tendered and
  the change, and what is still owed. Reprinted later (`?receipt=<number>`, from the
  patron's page, while the payment is kept): that receipt's payments, marked as a copy.
- Desk slips (`desk-slips`): every hold and transit slip of the check-in session or of the
  copies pulled for holds, in one print (one slip to a page).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from circulation.desk.state import Desk, slip_back
from circulation.models import Fine, FinePayment, Hold, Loan
from circulation.models.transit import Transit
from circulation.selectors import balance_for_patron
from core.admin_site import AdminPage
from core.slips import render_slip
from privacy.access import log_access


def _receipt_loans(desk: Desk, *, all_loans: bool = False):
    card = desk.card("checkout")
    if card is None:
        return None, []
    loans = Loan.objects.filter(patron=card.patron, returned_at__isnull=True)
    if not all_loans:
        state = desk._state("checkout") or {}
        item_ids = [
            line["item"] for line in state.get("lines", []) if line.get("ok") and line.get("item")
        ]
        loans = loans.filter(item_id__in=item_ids)
    return card, list(loans.select_related("item__title", "branch").order_by("due_at", "pk"))


@require_http_methods(["GET", "POST"])
def checkout_receipt_view(request):
    if not request.user.has_perm("circulation.add_loan"):
        raise PermissionDenied
    desk = Desk(request)
    all_loans = request.GET.get("all") == "1" and request.method == "GET"
    card, loans = _receipt_loans(desk, all_loans=all_loans)
    if card is None:
        messages.error(request, "Serve a card at Check out first.")
        return redirect(reverse("admin:circulation_checkout"))
    log_access(loans or [card.patron], request=request, page="desk:checkout_receipt")
    context = {
        "library": settings.CALUMET_LIBRARY_NAME,
        "card": card.masked_number,
        "loans": loans,
        "all_loans": all_loans,
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
    context.update(
        admin.site.each_context(request),
        title=gettext_lazy("Items you have out")
        if all_loans
        else gettext_lazy("Check-out receipt"),
    )
    return render_slip(
        request,
        "admin/circulation/slips/checkout_receipt.html",
        context,
        language=card.patron.notice_language,
    )


def receipts_of(patron, numbers, tendered=None) -> list[dict]:
    """The patron's payments under these receipt numbers, grouped by receipt (with the cash
    tendered and the change, when the desk entered it: `tendered`, number -> amount)."""
    tendered = tendered or {}
    payments = (
        FinePayment.objects.filter(patron=patron, number__in=numbers)
        .select_related("fine__loan__item__title", "branch")
        .order_by("number", "pk")
    )
    receipts: dict[str, dict] = {}
    for payment in payments:
        receipt = receipts.setdefault(
            payment.number,
            {
                "number": payment.number,
                "taken_at": payment.taken_at,
                "branch": payment.branch.name,
                # Lazy labels: rendered in the patron's language with the slip.
                "method": FinePayment.Method(payment.method).label,
                "lines": [],
                "total": Decimal("0.00"),
            },
        )
        loan = payment.fine.loan if payment.fine else None
        receipt["lines"].append(
            {
                "kind": Fine.Reason(payment.kind).label,
                "title": loan.item.title.title if loan else "",
                "amount": payment.amount,
                "record": payment,
            }
        )
        receipt["total"] += payment.amount
    for number, receipt in receipts.items():
        if number in tendered:
            receipt["tendered"] = tendered[number]
            receipt["change"] = tendered[number] - receipt["total"]
    return [receipts[n] for n in numbers if n in receipts]


def _receipts(desk: Desk, card) -> tuple[list[dict], list[dict]]:
    """The payments of the transaction at "Take payment", and its waivers."""
    tendered = {}
    for kept in desk.kept("payment", "tendered"):
        if isinstance(kept, list | tuple) and len(kept) == 2:
            tendered[str(kept[0])] = Decimal(str(kept[1]))
    receipts = receipts_of(card.patron, desk.kept("payment", "receipts"), tendered)
    fines = Fine.objects.filter(
        patron=card.patron, pk__in=desk.kept("payment", "waived"), waived_at__isnull=False
    ).select_related("loan__item__title")
    waivers = [
        {
            "kind": Fine.Reason(fine.reason).label,
            "title": fine.loan.item.title.title if fine.loan else "",
            "amount": fine.amount - fine.amount_paid,
            "reason": Fine.WaiveReason(fine.waive_reason).label,
            "record": fine,
        }
        for fine in fines
    ]
    return receipts, waivers


def _receipt_again(request):
    """A receipt reprinted later (the patron's page lists the recent ones): the payments
    under that receipt number, for as long as the library keeps them; no cash tendered
    (not kept) and no waivers."""
    number = request.GET.get("receipt", "").strip()[:40]
    payment = FinePayment.objects.filter(number=number).select_related("patron").first()
    if payment is None:
        messages.error(request, "No payment with that receipt number is kept any more.")
        return redirect(reverse("admin:circulation_payment"))
    patron = payment.patron
    receipts = receipts_of(patron, [number])
    log_access(
        [line["record"] for r in receipts for line in r["lines"]],
        request=request,
        page="desk:payment_receipt",
    )
    card = patron.active_card
    context = {
        **admin.site.each_context(request),
        "title": gettext_lazy("Payment receipt"),
        "library": settings.CALUMET_LIBRARY_NAME,
        "card": card.masked_number if card else "—",
        "receipts": receipts,
        "waivers": [],
        "owed": balance_for_patron(patron=patron),
        "now": timezone.now(),
        "reprint": True,
        "back_url": reverse("admin:patrons_patron_change", args=[patron.pk]),
    }
    return render_slip(
        request,
        "admin/circulation/slips/payment_receipt.html",
        context,
        language=patron.notice_language,
    )


def payment_receipt_view(request):
    if not request.user.has_perm("circulation.change_fine"):
        raise PermissionDenied
    if "receipt" in request.GET:
        return _receipt_again(request)
    desk = Desk(request)
    card = desk.card("payment")
    if card is None:
        messages.error(request, "Serve a card at Take payment first.")
        return redirect(reverse("admin:circulation_payment"))
    receipts, waivers = _receipts(desk, card)
    records = [line["record"] for r in receipts for line in r["lines"]]
    records += [waiver["record"] for waiver in waivers]
    log_access(records or [card.patron], request=request, page="desk:payment_receipt")
    context = {
        **admin.site.each_context(request),
        "title": gettext_lazy("Payment receipt"),
        "library": settings.CALUMET_LIBRARY_NAME,
        "card": card.masked_number,
        "receipts": receipts,
        "waivers": waivers,
        "owed": balance_for_patron(patron=card.patron),
        "now": timezone.now(),
    }
    return render_slip(
        request,
        "admin/circulation/slips/payment_receipt.html",
        context,
        language=card.patron.notice_language,
    )


def hold_slip(hold: Hold) -> dict:
    """What a hold slip shows, in the patron's language: initials, the card's last four
    digits, the pickup branch, the day it leaves the shelf, the barcode. No title."""
    patron = hold.patron
    card = patron.active_card
    language = patron.notice_language
    with translation.override(language):
        return {
            "hold": hold,
            "language": language,
            "initials": f"{patron.first_name[:1]}.{patron.last_name[:1]}.".upper(),
            "card": card.masked_number if card else "—",
            "heading": gettext("Hold"),
            "labels": {
                "pickup": gettext("Pickup at"),
                "until": gettext("On the shelf until"),
                "item": gettext("Item"),
            },
            "until": (
                formats.date_format(timezone.localtime(hold.pickup_by), "D M j Y")
                if hold.pickup_by
                else gettext("set when it arrives")
            ),
        }


def _holds(ids) -> list[Hold]:
    holds = Hold.objects.select_related("patron", "pickup_branch", "item").filter(
        pk__in=ids, status__in=[Hold.Status.WAITING, Hold.Status.IN_TRANSIT]
    )
    by_id = {hold.pk: hold for hold in holds}
    return [by_id[pk] for pk in dict.fromkeys(ids) if pk in by_id]


def _transits(ids) -> list[Transit]:
    transits = Transit.objects.select_related("item__title", "from_branch", "to_branch").filter(
        pk__in=ids
    )
    by_id = {transit.pk: transit for transit in transits}
    return [by_id[pk] for pk in dict.fromkeys(ids) if pk in by_id]


def hold_slip_view(request):
    if not request.user.has_perm("circulation.change_hold"):
        raise PermissionDenied
    raw = request.GET.get("hold", "")
    holds = _holds([int(raw)] if raw.isdigit() else [])
    if holds:
        log_access(holds, request=request, page="desk:hold_slip")
    slips = [hold_slip(hold) for hold in holds]
    context = {
        **admin.site.each_context(request),
        **slip_back(request),
        "title": gettext_lazy("Hold slip"),
        "slips": slips,
    }
    return render_slip(
        request,
        "admin/circulation/slips/hold.html",
        context,
        language=slips[0]["language"] if slips else "",
    )


#: The desk pages whose scan lines' slips print in one go.
BATCHES = {"checkin": "Check in", "pull": "Holds to pull"}


def desk_slips_view(request):
    """Every hold and transit slip of a check-in session or of the copies pulled for holds,
    in one print, one slip to a page (the ids come from the desk's session, not the URL)."""
    if not (
        request.user.has_perm("circulation.change_loan")
        or request.user.has_perm("circulation.change_hold")
    ):
        raise PermissionDenied
    page = request.GET.get("from", "")
    if page not in BATCHES:
        page = "checkin"
    state = Desk(request)._state(page) or {}
    kinds = [line["slip"] for line in reversed(state.get("lines", [])) if line.get("slip")]
    holds = _holds([pk for kind, pk in kinds if kind == "hold"])
    transits = _transits([pk for kind, pk in kinds if kind == "transit"])
    if holds:
        log_access(holds, request=request, page="desk:desk_slips")
    context = {
        **admin.site.each_context(request),
        **slip_back(request),
        "title": f"Slips from {BATCHES[page]}",
        "slips": [hold_slip(hold) for hold in holds],
        "transits": transits,
    }
    return render_slip(request, "admin/circulation/slips/batch.html", context)


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
admin.site.register_page(
    AdminPage(
        "circulation",
        "desk-slips",
        "Desk slips",
        desk_slips_view,
        "circulation.change_hold",
        listed=False,
    )
)
admin.site.register_page(
    AdminPage(
        "circulation",
        "payment-receipt",
        "Payment receipt",
        payment_receipt_view,
        "circulation.change_fine",
        listed=False,
    )
)
