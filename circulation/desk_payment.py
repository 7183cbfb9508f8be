"""The desk's "Take payment" page: a patron's unpaid fines, paid in part or in full, or
waived by a librarian. A thin caller of `circulation.services`; the card being served is
the page's transaction in `circulation.desk_state`."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from patrons.access import log_access
from patrons.exceptions import Refused
from patrons.models import Card

from . import services
from .desk_find import FindPatronForm, find, picked_card
from .desk_state import Desk, desk_context, handle_branch, handle_done
from .forms import CardForm, PaymentForm, WaiveForm
from .selectors import balance_for_patron, fines_for_patron


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
        desk.serve("payment", picked_card(request, any_card=True))
    elif card is None:
        raise Refused("Scan the patron's card first.")
    elif action == "pay":
        form = PaymentForm(request.POST)
        if not form.is_valid():
            raise Refused("Enter an amount such as 2.50.")
        fine = services.fine_pay(
            fine=_patron_fine(card, form.cleaned_data["fine"]),
            amount=form.cleaned_data["amount"],
            actor=request.user,
        )
        desk.touch("payment")  # a payment is activity: the idle time starts again
        messages.success(
            request,
            f"Payment of ${form.cleaned_data['amount']:.2f} taken. "
            + ("The fine is paid." if fine.settled_at else f"${fine.balance} still owed on it."),
        )
    elif action == "pay_all":
        fines = list(fines_for_patron(patron=card.patron))
        total = sum((fine.balance for fine in fines), start=Decimal("0.00"))
        with transaction.atomic():  # all of it, or none of it
            for fine in fines:
                services.fine_pay(fine=fine, amount=fine.balance, actor=request.user)
        desk.touch("payment")
        messages.success(request, f"Payment of ${total:.2f} taken. Nothing is owed now.")
    elif action == "waive":
        form = WaiveForm(request.POST)
        if not form.is_valid():
            raise Refused("Give a reason for waiving the fine.")
        services.fine_waive(
            fine=_patron_fine(card, form.cleaned_data["fine"]),
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        desk.touch("payment")
        messages.success(request, "Fine waived.")


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
        find_form=find_form,
        found=found,
    )
    return TemplateResponse(request, "admin/circulation/desk/payment.html", context)
