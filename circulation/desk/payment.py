"""The desk's "Take payment" page: a patron's unpaid fines, paid in part or in full, or
waived by a librarian. A thin caller of `circulation.services`; the card being served is
the page's transaction in `circulation.desk.state`."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from circulation import services
from circulation.desk.find import FindPatronForm, find, picked_card
from circulation.desk.forms import (
    MANUAL_CHARGE_REASONS,
    CardForm,
    ChargeForm,
    PayAllForm,
    PaymentForm,
    WaiveForm,
)
from circulation.desk.state import Desk, desk_context, handle_branch, handle_done
from circulation.models import Fine, FinePayment
from circulation.selectors import balance_for_patron, fines_for_patron
from core.refusals import Refused
from patrons.models import Card
from privacy.access import log_access


def _patron_fine(card: Card, fine_id: int):
    """One of this patron's unpaid fines (an id from another account is refused)."""
    fine = fines_for_patron(patron=card.patron).filter(pk=fine_id).first()
    if fine is None:
        raise Refused("That fine is not on this patron's account.")
    return fine


def _payment_card(number: str) -> Card:
    """Payments are taken from any patron with a card, expired or blocked alike."""
    card = Card.objects.select_related("patron").filter(number=number).first()
    if card is None:
        raise Refused("No library card has that number.")
    return card


def _act(request, desk: Desk, card: Card | None, action: str) -> None:
    if action == "card":
        form = CardForm(request.POST)
        if not form.is_valid():
            raise Refused("Scan or type a 14-digit card number.")
        desk.serve("payment", _payment_card(form.cleaned_data["card_number"]))
    elif action == "pick":
        desk.serve("payment", picked_card(request, "desk:payment", any_card=True))
    elif card is None:
        raise Refused("Scan the patron's card first.")
    elif action == "pay":
        form = PaymentForm(request.POST)
        if not form.is_valid():
            if set(form.errors) == {"method"}:
                raise Refused("Choose how the patron paid: cash, card or check.")
            if set(form.errors) == {"tendered"}:
                raise Refused(
                    "Enter the cash tendered as an amount such as 5.00, or leave it empty."
                )
            raise Refused("Enter an amount such as 2.50.")
        fine = _patron_fine(card, form.cleaned_data["fine"])
        _take(request, desk, card, [(fine, form.cleaned_data["amount"])], form)
    elif action == "pay_all":
        form = PayAllForm(request.POST)
        if not form.is_valid():
            if set(form.errors) == {"tendered"}:
                raise Refused(
                    "Enter the cash tendered as an amount such as 5.00, or leave it empty."
                )
            raise Refused("Choose how the patron paid: cash, card or check.")
        parts = [(fine, fine.balance) for fine in fines_for_patron(patron=card.patron)]
        _take(request, desk, card, parts, form)
    elif action == "waive":
        form = WaiveForm(request.POST)
        if not form.is_valid():
            raise Refused("Choose a reason for waiving the fine.")
        fine = services.fine_waive(
            fine=_patron_fine(card, form.cleaned_data["fine"]),
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        desk.remember("payment", "waived", fine.pk)  # the receipt lists it
        messages.success(request, "Fine waived.")
    elif action == "charge":
        form = ChargeForm(request.POST)
        if not form.is_valid():
            raise Refused(form.refusal())
        fine = services.fine_charge_manual(
            patron=card.patron,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        desk.touch("payment")
        messages.success(request, f"Charge of ${fine.amount} added ({fine.get_reason_display()}).")


def _take(request, desk: Desk, card: Card, parts, form) -> None:
    """One payment, all of it or none of it, with its receipt number kept for the receipt."""
    total = sum((Decimal(amount) for _, amount in parts), start=Decimal("0.00"))
    tendered = form.cleaned_data.get("tendered")
    if tendered is not None:
        if form.cleaned_data["method"] != FinePayment.Method.CASH:
            raise Refused("Cash tendered is for cash payments: choose Cash, or leave it empty.")
        if tendered < total:
            raise Refused(
                f"The cash tendered (${tendered:.2f}) is less than the payment (${total:.2f}). "
                "Nothing was taken."
            )
    number = services.payment_take(
        patron=card.patron,
        parts=parts,
        method=form.cleaned_data["method"],
        branch=desk.branch,
        actor=request.user,
    )
    desk.remember("payment", "receipts", number)  # a payment is activity: idle time restarts
    change = ""
    if tendered is not None:
        # For the receipt: the cash handed over for this receipt number (no patron data).
        desk.remember("payment", "tendered", [number, f"{tendered:.2f}"])
        change = f" Cash tendered ${tendered:.2f}: give ${tendered - total:.2f} change."
    owed = balance_for_patron(patron=card.patron)
    method = str(FinePayment.Method(form.cleaned_data["method"]).label).lower()
    messages.success(
        request,
        f"Payment of ${total:.2f} taken ({method}), receipt {number}.{change} "
        + (f"${owed} still owed." if owed else "Nothing is owed now."),
    )


@require_http_methods(["GET", "POST"])
def payment_view(request):
    if not request.user.has_perm("circulation.change_fine"):
        raise PermissionDenied
    desk = Desk(request)
    here = reverse("admin:circulation_payment")
    card = desk.card("payment")
    find_form, found = FindPatronForm(), None
    if request.method == "POST" and request.POST.get("action") == "find":
        find_form, found = find(request, "desk:payment")
    elif request.method == "POST":
        try:
            if not (handle_branch(request, desk) or handle_done(request, desk)):
                _act(request, desk, card, request.POST.get("action"))
        except Refused as refusal:
            messages.error(request, refusal.message)
        except PermissionDenied as denied:
            messages.error(request, str(denied) or "You may not do that.")
        return redirect(here)

    fines = list(fines_for_patron(patron=card.patron)) if card else []
    if card:
        log_access([card.patron, *fines], request=request, page="desk:payment")
    context = desk_context(
        request,
        desk,
        "Take payment",
        card_form=CardForm(),
        card=card,
        patron=card.patron if card else None,
        fines=fines,
        balance=balance_for_patron(patron=card.patron) if card else None,
        can_waive=request.user.has_perm("circulation.waive_fine"),
        can_charge=request.user.has_perm("circulation.add_fine"),
        methods=FinePayment.Method.choices,
        charge_reasons=MANUAL_CHARGE_REASONS,
        waive_reasons=Fine.WaiveReason.choices,
        has_receipt=bool(desk.kept("payment", "receipts") or desk.kept("payment", "waived")),
        find_form=find_form,
        found=found,
    )
    return TemplateResponse(request, "admin/circulation/desk/payment.html", context)
