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
from django.db.models import Q
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
    batch_link,
    desk_context,
    handle_branch,
    handle_done,
)
from circulation.exceptions import CirculationRefusal
from circulation.models import Hold, Item, Loan, Title
from circulation.models.lending import OverrideKind
from circulation.selectors import (
    annotate_queue_position,
    balance_for_patron,
    holds_for_patron,
    loans_for_patron,
    open_transit,
    registrations_for_patron,
)
from circulation.services.overrides import Override
from core.refusals import Refused
from core.requests import posted_id
from patrons.models import Card, Patron
from patrons.services import blocks_in_force, card_resolve, describe_block
from privacy.access import log_access

__all__ = [
    "SESSION_KEY",
    "checkin_view",
    "checkout_view",
    "hold_shelf_view",
    "payment_view",
    "renew_view",
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
OVERRIDABLE = {"balance": OverrideKind.FINE_LIMIT}


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
        desk.serve("checkout", card_resolve(card_number=picked_card(request).number))
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
    if override is not None and override.kind != OverrideKind.FINE_LIMIT:
        raise Refused("Only the fine limit can be overridden at check-out.")
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
            text += f"; fine limit overridden: {loan.get_override_reason_display()}"
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


def _scan_page(request, *, page: str, title: str, permission: str, run, intro: str, done: str):
    """A page where each scan is one line. `run(request, desk, barcode, item)` does the
    work, writes the access entries and adds the line."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    desk = Desk(request)
    if request.method == "POST":
        if handle_branch(request, desk) or handle_done(request, desk):
            pass
        elif request.POST.get("action") == "clear":
            desk.end(page)
        elif request.POST.get("action") == "override" and page == "renew":
            form = ItemForm(request.POST)
            if form.is_valid():
                barcode = form.cleaned_data["barcode"]
                _renew(request, desk, barcode, _item(barcode), override=override_from(request))
            else:
                messages.error(request, "Scan or type the item's barcode.")
        else:
            form = ItemForm(request.POST)
            if form.is_valid():
                barcode = form.cleaned_data["barcode"]
                run(request, desk, barcode, _item(barcode))
            else:
                messages.error(request, "Scan or type the item's barcode.")
        return redirect(reverse(f"admin:circulation_{page}"))
    lines = desk.lines(page)
    context = desk_context(
        request,
        desk,
        title,
        item_form=ItemForm(),
        lines=lines,
        intro=intro,
        done=done,
        **(batch_link(lines, page=page) if page == "checkin" else {}),
    )
    return TemplateResponse(request, "admin/circulation/desk/scan.html", context)


def checkin_text(result: services.ReturnResult) -> str:
    """One check-in line: what to do with the item, never whose hold it fills."""
    parts = list(result.notes)
    if result.fine is not None:
        parts.append(f"fine assessed ${result.fine.amount}")
    if result.transit is not None:
        parts.append(f"send home to {result.transit.to_branch.name}")  # + its slip's link
    hold = result.hold
    if hold is not None:
        if hold.status == Hold.Status.WAITING:
            parts.append("on hold for a patron — put it on the hold shelf")
        else:
            parts.append(f"on hold for a patron at {hold.pickup_branch.name} — send it there")
    return ", ".join(parts)


def _checkin(request, desk: Desk, barcode: str, item: Item | None) -> None:
    try:
        result = services.loan_return(barcode=barcode, actor=request.user, branch=desk.branch)
    except Refused as refusal:
        desk.add_line("checkin", barcode=barcode, item=item, ok=False, text=refusal.message)
        return
    if result.loan is not None:
        # The line is about this patron's loan (and fine): a desk transaction on their record.
        shown = [result.loan, result.fine]
        log_access([r for r in shown if r], request=request, page="desk:checkin")
    desk.add_line(
        "checkin",
        barcode=barcode,
        item=item,
        ok=True,
        text=checkin_text(result),
        patrons=[
            result.loan.patron_id if result.loan else None,
            result.hold.patron_id if result.hold else None,
        ],
        slip=checkin_slip(result),
    )


def checkin_slip(result: services.ReturnResult) -> tuple[str, int] | None:
    """The slip the copy needs after a check-in: a hold slip on the hold shelf, a transit
    slip when it travels (home, or to a hold's pickup branch)."""
    hold = result.hold
    if hold is not None and hold.status == Hold.Status.WAITING:
        return ("hold", hold.pk)
    transit = result.transit
    if transit is None and hold is not None and hold.item_id:
        transit = open_transit(item=hold.item)
    return ("transit", transit.pk) if transit is not None else None


@require_http_methods(["GET", "POST"])
def checkin_view(request):
    return _scan_page(
        request,
        page="checkin",
        title="Check in",
        permission="circulation.change_loan",
        run=_checkin,
        intro="Scan each returned item. Items wanted by a patron are trapped for their hold.",
        done="clear",
    )


def _renew(
    request, desk: Desk, barcode: str, item: Item | None, override: Override | None = None
) -> None:
    loan = Loan.objects.filter(item=item, returned_at__isnull=True).first() if item else None
    overridable = ""
    try:
        if override is not None and override.kind != OverrideKind.RENEWAL_LIMIT:
            raise Refused("Only the renewal limit can be overridden here.")
        renewed = services.loan_renew_by_barcode(
            barcode=barcode, actor=request.user, override=override
        )
    except Refused as refusal:
        ok, text = False, refusal.message
        overridable = getattr(refusal, "overridable", "") or OVERRIDABLE.get(refusal.code, "")
        if override is not None and refusal.code.startswith("override"):
            overridable = override.kind  # the form again, with the reason it lacked
    else:
        loan = renewed
        ok, text = True, f"renewed, now due {date_format(timezone.localtime(loan.due_at), 'D M j')}"
        if renewed.renewal_note:
            text += f"; {renewed.renewal_note}"
        if override is not None and renewed.override_kind:
            text += f" (renewal limit overridden: {renewed.get_override_reason_display()})"
    if loan is not None:
        # The line says how this patron's loan stands (or why it cannot be renewed).
        log_access([loan], request=request, page="desk:renew")
    desk.add_line(
        "renew",
        barcode=barcode,
        item=item,
        ok=ok,
        text=text,
        patrons=[loan.patron_id if loan else None],
        override=overridable,
    )


@require_http_methods(["GET", "POST"])
def renew_view(request):
    return _scan_page(
        request,
        page="renew",
        title="Renew",
        permission="circulation.change_loan",
        run=_renew,
        intro="Scan each item the patron wants to keep longer.",
        done="done",
    )


# -- the hold shelf ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def hold_shelf_view(request):
    if not request.user.has_perm("circulation.change_hold"):
        raise PermissionDenied
    now = timezone.now()
    desk = Desk(request)
    if request.method == "POST":
        if handle_branch(request, desk) or request.POST.get("action") != "expire":
            return redirect(reverse("admin:circulation_hold_shelf"))
        expired = services.hold_expire_unclaimed(actor=request.user, now=now)
        messages.success(
            request,
            f"{expired} unclaimed hold{'s' if expired != 1 else ''} expired; "
            "their items went to the next patron in line or back to the shelves.",
        )
        return redirect(reverse("admin:circulation_hold_shelf"))
    holds = (
        Hold.objects.filter(status__in=[Hold.Status.WAITING, Hold.Status.IN_TRANSIT])
        .select_related("title", "item", "pickup_branch")
        .prefetch_related("patron__cards")
        .order_by("status", "pickup_by", "pk")
    )
    branch = desk.branch
    if request.GET.get("all") != "1" and branch is not None:
        holds = holds.filter(Q(pickup_branch=branch) | Q(item__branch=branch))
    rows = []
    for hold in holds:
        active = [c for c in hold.patron.cards.all() if c.status == Card.Status.ACTIVE]
        rows.append(
            {
                "hold": hold,
                "card": active[0].masked_number if active else "—",
                "expired": hold.status == Hold.Status.WAITING and hold.pickup_by < now,
            }
        )
    log_access(
        [row["hold"] for row in rows], request=request, page="desk:hold_shelf", access="listed"
    )
    context = desk_context(
        request,
        desk,
        "Hold shelf",
        rows=rows,
        expired_count=sum(1 for row in rows if row["expired"]),
        showing_all=request.GET.get("all") == "1",
    )
    return TemplateResponse(request, "admin/circulation/desk/hold_shelf.html", context)


# -- from a patron's admin page -------------------------------------------------------------------


@require_http_methods(["POST"])
def serve_patron_view(request):
    """From a patron's admin page: open the check-out or payment desk for their card."""
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
    if target == "checkout":
        try:
            card_resolve(card_number=card.number)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return redirect(reverse("admin:patrons_patron_change", args=[patron.pk]))
    Desk(request).serve(target, card)
    return redirect(reverse(f"admin:circulation_{target}"))
