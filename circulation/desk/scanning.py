"""The circulation desk: admin pages for a whole shift with a barcode scanner.

Each page is a thin caller of `circulation.services`. What the desk remembers between
scans (the patron being served, the lines scanned) lives in the staff session only for
the transaction at the desk, as ids and short outcome texts (see `desk_state`). Every
form posts; no card number or patron id goes into a URL. Take payment is in
`desk_payment`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods

from circulation import services
from circulation.desk.find import FindPatronForm, find, picked_card
from circulation.desk.forms import CardForm, HoldRequestForm, ItemForm, ProgramSignupForm
from circulation.desk.payment import payment_view
from circulation.desk.state import (
    SESSION_KEY,
    Desk,
    desk_context,
    handle_branch,
    handle_done,
)
from circulation.exceptions import CirculationRefusal
from circulation.models import Item, Title
from circulation.models.lending import OverrideKind
from circulation.selectors import (
    annotate_queue_position,
    balance_for_patron,
    holds_for_patron,
    loans_for_patron,
    registrations_for_patron,
)
from circulation.services.overrides import Override
from core.refusals import Refused
from core.requests import posted_id
from patrons.models import Card, Patron
from patrons.selectors import blocks_in_force, card_resolve, describe_block
from privacy.access import log_access

__all__ = [
    "SESSION_KEY",
    "checkout_view",
    "payment_view",
    "serve_patron_view",
]


def patron_panel(card: Card, *, now=None) -> dict:
    """What a clerk needs to see about the patron being served."""
    now = now or timezone.now()
    patron = card.patron
    loans = list(loans_for_patron(patron=patron))
    return {
        "patron": patron,
        "card": card,
        "blocks": [describe_block(b) for b in blocks_in_force(patron=patron, now=now)],
        "balance": balance_for_patron(patron=patron),
        "loans": loans,
        "overdue": sum(1 for loan in loans if loan.due_at < now),
        "holds": list(annotate_queue_position(holds_for_patron(patron=patron))),
        "registrations": list(
            registrations_for_patron(patron=patron).filter(program__ends_at__gt=now)
        ),
        "now": now,
    }


#: Refusal codes staff with the role may override (circulation/services/overrides.py).
OVERRIDABLE = {
    "balance": OverrideKind.FINE_LIMIT,
    "held_for_other": OverrideKind.HOLD_SHELF,
}


#: What may be overridden at check-out (a renewal limit is overridden at Renew).
CHECKOUT_OVERRIDES = (OverrideKind.FINE_LIMIT, OverrideKind.HOLD_SHELF)


def override_from(request) -> Override:
    """The override a desk line's form posts: what, the reason and the note."""
    return Override(
        kind=request.POST.get("override", ""),
        reason=request.POST.get("reason", ""),
        note=request.POST.get("note", "")[:200],
    )


def _item(barcode: str) -> Item | None:
    return Item.objects.filter(barcode=barcode).first()


def _checkout_action(request, desk: Desk, action: str) -> None:
    if action == "card":
        form = CardForm(request.POST)
        if not form.is_valid():
            raise Refused("Scan or type a 14-digit card number.")
        desk.serve("checkout", card_resolve(card_number=form.cleaned_data["card_number"]))
        return
    if action == "pick":
        picked = picked_card(request, "desk:checkout")
        desk.serve("checkout", card_resolve(card_number=picked.number))
        return
    card = desk.card("checkout")
    if action not in {"item", "hold", "program", "renew", "override"}:
        return
    if card is None:
        raise Refused("Scan the patron's card first.")
    if action not in ("item", "override"):
        _serve_extra(request, desk, card, action)
        return
    form = ItemForm(request.POST)
    if not form.is_valid():
        raise Refused("Scan or type the item's barcode.")
    barcode = form.cleaned_data["barcode"]
    override = override_from(request) if action == "override" else None
    if override is not None and override.kind not in CHECKOUT_OVERRIDES:
        raise Refused(
            "Only the fine limit or a hold for another patron can be overridden at check-out."
        )
    try:
        loan = services.loan_checkout(
            card=card, barcode=barcode, actor=request.user, branch=desk.branch, override=override
        )
    except Refused as refusal:
        text = refusal.message
        if refusal.code == CirculationRefusal.ALREADY_HAS:
            text += (
                " To keep it longer, use Renew beside its due date under “All items on this card”."
            )
        desk.add_line(
            "checkout",
            barcode=barcode,
            item=_item(barcode),
            ok=False,
            text=text,
            override=(
                override.kind
                if override is not None and refusal.code.startswith("override")
                else OVERRIDABLE.get(refusal.code, "")
            ),
        )
    else:
        due = timezone.localtime(loan.due_at)
        rule = f"rule #{loan.rule_id}" if loan.rule_id else "default rule"
        text = f"due {date_format(due, 'D M j')} ({rule})"
        if loan.override_kind:
            what = loan.get_override_kind_display().lower()
            text += f"; {what} overridden: {loan.get_override_reason_display()}"
            if loan.override_kind == OverrideKind.HOLD_SHELF:
                text += " (the hold is back in its queue, first in line)"
        desk.add_line("checkout", barcode=barcode, item=loan.item, ok=True, text=text)


@require_http_methods(["GET", "POST"])
def checkout_view(request):
    if not request.user.has_perm("circulation.add_loan"):
        raise PermissionDenied
    desk = Desk(request)
    find_form, found = FindPatronForm(), None
    if request.method == "POST" and request.POST.get("action") == "find":
        find_form, found = find(request, "desk:checkout")
    elif request.method == "POST":
        if not (handle_branch(request, desk) or handle_done(request, desk)):
            try:
                _checkout_action(request, desk, request.POST.get("action"))
            except Refused as refusal:
                messages.error(request, refusal.message)
        return redirect(reverse("admin:circulation_checkout"))

    card = desk.card("checkout")
    panel = patron_panel(card) if card else None
    if panel:
        # One entry per patron and repeat window: once the transaction knows when it was
        # written, the page does not ask the database again at every scan.
        memory = desk.access_memory("checkout")
        log_access(
            [panel["patron"], *panel["loans"], *panel["holds"], *panel["registrations"]],
            request=request,
            page="desk:checkout",
            remembered=memory,
        )
        desk.keep_access_memory("checkout", memory)
    context = desk_context(
        request,
        desk,
        "Check out",
        card_form=CardForm(),
        item_form=ItemForm(),
        hold_form=HoldRequestForm(),
        program_form=ProgramSignupForm(branch=desk.branch),
        lines=desk.lines("checkout") if panel else [],
        panel=panel,
        find_form=find_form,
        found=found,
    )
    return TemplateResponse(request, "admin/circulation/desk/checkout.html", context)


def _serve_extra(request, desk: Desk, card: Card, action: str) -> None:
    """A hold, a program sign-up or a renewal for the patron being served at the check-out
    desk."""
    if action == "renew":
        if not request.user.has_perm("circulation.change_loan"):
            raise Refused("You may not renew loans.")
        loan_id = posted_id(request.POST.get("loan", ""))
        loan = loans_for_patron(patron=card.patron).filter(pk=loan_id or 0).first()
        if loan is None:
            raise Refused("That loan is not on this card.")
        loan = services.loan_renew(loan=loan, actor=request.user)
        desk.touch("checkout")
        due = date_format(timezone.localtime(loan.due_at), "D M j")
        note = f"; {loan.renewal_note}" if loan.renewal_note else ""
        messages.success(request, f"Renewed, now due {due}{note}.")
    elif action == "hold":
        form = HoldRequestForm(request.POST)
        if not form.is_valid():
            raise Refused("Scan a copy of the title, or type its ISBN.")
        wanted = form.cleaned_data["wanted"]
        title = (
            Title.objects.filter(items__barcode=wanted).first()
            or Title.objects.filter(isbn=wanted).first()
        )
        if title is None:
            raise Refused("No title matches that barcode or ISBN.")
        services.hold_place(
            patron=card.patron, title=title, pickup_branch=desk.branch, actor=request.user
        )
        desk.touch("checkout")
        messages.success(request, f"Hold placed, for pickup at {desk.branch.name}.")
    else:
        form = ProgramSignupForm(request.POST)
        if not form.is_valid():
            raise Refused("Choose a program.")
        registration = services.program_register(
            program=form.cleaned_data["program"], patron=card.patron, actor=request.user
        )
        desk.touch("checkout")
        messages.success(
            request,
            "Signed up."
            if registration.status == registration.Status.REGISTERED
            else "The program is full: added to the waiting list.",
        )


# -- check in and renew: a list of scans -------------------------------------------------------


@require_http_methods(["POST"])
def serve_patron_view(request):
    """From a patron's admin page: open the check-out or payment desk for their card, or
    (`then=items`) print the slip of every item they have out, at any time."""
    target = request.POST.get("desk")
    if target not in {"checkout", "payment"}:
        return redirect(reverse("admin:index"))
    permission = "circulation.add_loan" if target == "checkout" else "circulation.change_fine"
    if not request.user.has_perm(permission):
        raise PermissionDenied
    patron_id = request.POST.get("patron", "")
    patron = Patron.objects.filter(pk=int(patron_id)).first() if patron_id.isdigit() else None
    card = patron.active_card if patron else None
    if card is None:
        messages.error(request, "This patron has no active card.")
        return redirect(reverse("admin:index"))
    items_out = target == "checkout" and request.POST.get("then") == "items"
    if target == "checkout" and not items_out:
        try:
            card_resolve(card_number=card.number)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return redirect(reverse("admin:patrons_patron_change", args=[patron.pk]))
    Desk(request).serve(target, card)
    if items_out:
        return redirect(reverse("admin:circulation_checkout_receipt") + "?all=1")
    return redirect(reverse(f"admin:circulation_{target}"))
