"""The circulation desk: admin pages for a whole shift with a barcode scanner.

Each page is a thin caller of `circulation.services`. What the desk remembers between
scans (the patron being served, the lines scanned) is kept in the staff session as ids
and short outcome texts, never titles or names, so the session table holds no reading
history. Every form posts; no card number or patron id goes into a URL.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from patrons.access import log_access
from patrons.exceptions import Refused
from patrons.models import Card
from patrons.services import blocks_in_force, card_resolve, describe_block

from . import services
from .forms import (
    CardForm,
    DeskBranchForm,
    HoldRequestForm,
    ItemForm,
    PaymentForm,
    ProgramSignupForm,
    WaiveForm,
)
from .models import Branch, Hold, Item, Title
from .selectors import (
    balance_for_patron,
    fines_for_patron,
    holds_for_patron,
    loans_for_patron,
    registrations_for_patron,
)

SESSION_KEY = "calumet_desk"
MAX_LINES = 30


class Desk:
    """The desk's memory in the staff session."""

    def __init__(self, request) -> None:
        self.request = request
        self.data = request.session.setdefault(SESSION_KEY, {})

    def save(self) -> None:
        self.request.session[SESSION_KEY] = self.data
        self.request.session.modified = True

    @property
    def branch(self) -> Branch | None:
        branch_id = self.data.get("branch_id")
        branch = Branch.objects.filter(pk=branch_id).first() if branch_id else None
        return branch or Branch.objects.order_by("name").first()

    def set_branch(self, branch: Branch) -> None:
        self.data["branch_id"] = branch.pk
        self.data["branch_name"] = branch.name  # the audit log names the desk's branch
        self.save()

    def card(self, page: str) -> Card | None:
        card_id = self.data.get(f"{page}_card_id")
        if not card_id:
            return None
        return Card.objects.select_related("patron").filter(pk=card_id).first()

    def set_card(self, page: str, card: Card | None) -> None:
        if card is None:
            self.data.pop(f"{page}_card_id", None)
        else:
            self.data[f"{page}_card_id"] = card.pk
        self.data[f"{page}_lines"] = []
        self.save()

    def lines(self, page: str) -> list[dict]:
        return list(self.data.get(f"{page}_lines", []))

    def add_line(self, page: str, *, barcode: str, ok: bool, text: str) -> None:
        lines = self.lines(page)
        lines.insert(0, {"barcode": barcode[:32], "ok": ok, "text": text})
        self.data[f"{page}_lines"] = lines[:MAX_LINES]
        self.save()


def _with_titles(lines: list[dict]) -> list[dict]:
    """Look the titles up at display time (one query): the session keeps barcodes only."""
    barcodes = {line["barcode"] for line in lines}
    titles = dict(Item.objects.filter(barcode__in=barcodes).values_list("barcode", "title__title"))
    return [{**line, "title": titles.get(line["barcode"], "")} for line in lines]


def _context(request, title: str, **extra):
    desk = Desk(request)
    if desk.branch is not None and desk.data.get("branch_name") != desk.branch.name:
        desk.set_branch(desk.branch)
    context = {
        **admin.site.each_context(request),
        "title": title,
        "desk_branch": desk.branch,
        "branch_form": DeskBranchForm(initial={"branch": desk.branch}),
        "opts": None,
        **extra,
    }
    return context


def _handle_branch(request, desk: Desk) -> bool:
    if request.POST.get("action") != "branch":
        return False
    form = DeskBranchForm(request.POST)
    if form.is_valid():
        desk.set_branch(form.cleaned_data["branch"])
        messages.info(request, f"Now working at {form.cleaned_data['branch'].name}.")
    return True


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
        "holds": list(holds_for_patron(patron=patron)),
        "registrations": list(
            registrations_for_patron(patron=patron).filter(program__ends_at__gt=now)
        ),
        "now": now,
    }


@require_http_methods(["GET", "POST"])
def checkout_view(request):
    if not request.user.has_perm("circulation.add_loan"):
        raise PermissionDenied
    desk = Desk(request)
    here = reverse("admin:circulation_checkout")
    if request.method == "POST":
        action = request.POST.get("action")
        if _handle_branch(request, desk):
            pass
        elif action == "card":
            form = CardForm(request.POST)
            if form.is_valid():
                try:
                    card = card_resolve(card_number=form.cleaned_data["card_number"])
                except Refused as refusal:
                    messages.error(request, refusal.message)
                else:
                    desk.set_card("checkout", card)
            else:
                messages.error(request, "Scan or type a 14-digit card number.")
        elif action == "item":
            card = desk.card("checkout")
            form = ItemForm(request.POST)
            if card is None:
                messages.error(request, "Scan the patron's card first.")
            elif form.is_valid():
                barcode = form.cleaned_data["barcode"]
                try:
                    loan = services.loan_checkout(
                        card_number=card.number,
                        barcode=barcode,
                        actor=request.user,
                        branch=desk.branch,
                    )
                except Refused as refusal:
                    desk.add_line("checkout", barcode=barcode, ok=False, text=refusal.message)
                else:
                    due = timezone.localtime(loan.due_at)
                    desk.add_line("checkout", barcode=barcode, ok=True, text=f"due {due:%a %b %d}")
            else:
                messages.error(request, "Scan or type the item's barcode.")
        elif action in {"hold", "program"}:
            card = desk.card("checkout")
            if card is None:
                messages.error(request, "Scan the patron's card first.")
            else:
                _serve_extra(request, desk, card, action)
        elif action == "done":
            desk.set_card("checkout", None)
            messages.success(request, "Done. Ready for the next patron.")
        return redirect(here)

    card = desk.card("checkout")
    panel = patron_panel(card) if card else None
    if panel:
        log_access(
            [panel["patron"], *panel["loans"], *panel["holds"], *panel["registrations"]],
            request=request,
            page="desk:checkout",
        )
    context = _context(
        request,
        "Check out",
        card_form=CardForm(),
        item_form=ItemForm(),
        hold_form=HoldRequestForm(),
        program_form=ProgramSignupForm(),
        lines=_with_titles(desk.lines("checkout")),
        panel=panel,
    )
    return TemplateResponse(request, "admin/circulation/desk/checkout.html", context)


def _serve_extra(request, desk: Desk, card: Card, action: str) -> None:
    """A hold or a program sign-up for the patron being served at the check-out desk."""
    try:
        if action == "hold":
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
            messages.success(request, f"Hold placed, for pickup at {desk.branch.name}.")
        else:
            form = ProgramSignupForm(request.POST)
            if not form.is_valid():
                raise Refused("Choose a program.")
            registration = services.program_register(
                program=form.cleaned_data["program"], patron=card.patron, actor=request.user
            )
            messages.success(
                request,
                "Signed up."
                if registration.status == registration.Status.REGISTERED
                else "The program is full: added to the waiting list.",
            )
    except Refused as refusal:
        messages.error(request, refusal.message)


def _scan_page(request, *, page: str, title: str, permission: str, run, intro: str):
    if not request.user.has_perm(permission):
        raise PermissionDenied
    desk = Desk(request)
    here = reverse(f"admin:circulation_{page}")
    if request.method == "POST":
        if not _handle_branch(request, desk):
            if request.POST.get("action") == "clear":
                desk.set_card(page, None)
            else:
                form = ItemForm(request.POST)
                if form.is_valid():
                    barcode = form.cleaned_data["barcode"]
                    try:
                        text = run(request, desk, barcode)
                    except Refused as refusal:
                        desk.add_line(page, barcode=barcode, ok=False, text=refusal.message)
                    else:
                        desk.add_line(page, barcode=barcode, ok=True, text=text)
                else:
                    messages.error(request, "Scan or type the item's barcode.")
        return redirect(here)
    context = _context(
        request, title, item_form=ItemForm(), lines=_with_titles(desk.lines(page)), intro=intro
    )
    return TemplateResponse(request, "admin/circulation/desk/scan.html", context)


@require_http_methods(["GET", "POST"])
def checkin_view(request):
    def run(request, desk, barcode):
        result = services.loan_return(barcode=barcode, actor=request.user, branch=desk.branch)
        return result.message

    return _scan_page(
        request,
        page="checkin",
        title="Check in",
        permission="circulation.change_loan",
        run=run,
        intro="Scan each returned item. Items wanted by a patron are trapped for their hold.",
    )


@require_http_methods(["GET", "POST"])
def renew_view(request):
    def run(request, desk, barcode):
        loan = services.loan_renew_by_barcode(barcode=barcode, actor=request.user)
        return f"renewed, now due {timezone.localtime(loan.due_at):%a %b %d}"

    return _scan_page(
        request,
        page="renew",
        title="Renew",
        permission="circulation.change_loan",
        run=run,
        intro="Scan each item the patron wants to keep longer.",
    )


@require_http_methods(["GET", "POST"])
def hold_shelf_view(request):
    if not request.user.has_perm("circulation.change_hold"):
        raise PermissionDenied
    now = timezone.now()
    if request.method == "POST":
        if _handle_branch(request, Desk(request)) or request.POST.get("action") != "expire":
            return redirect(reverse("admin:circulation_hold_shelf"))
        expired = services.hold_expire_unclaimed(actor=request.user, now=now)
        messages.success(
            request,
            f"{expired} unclaimed hold{'s' if expired != 1 else ''} expired; "
            "their items went to the next patron in line or back to the shelves.",
        )
        return redirect(reverse("admin:circulation_hold_shelf"))
    desk = Desk(request)
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
    log_access([row["hold"] for row in rows], request=request, page="desk:hold_shelf")
    context = _context(
        request,
        "Hold shelf",
        rows=rows,
        expired_count=sum(1 for row in rows if row["expired"]),
        showing_all=request.GET.get("all") == "1",
    )
    return TemplateResponse(request, "admin/circulation/desk/hold_shelf.html", context)


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


@require_http_methods(["GET", "POST"])
def payment_view(request):
    if not request.user.has_perm("circulation.change_fine"):
        raise PermissionDenied
    desk = Desk(request)
    here = reverse("admin:circulation_payment")
    card = desk.card("payment")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if _handle_branch(request, desk):
                pass
            elif action == "card":
                form = CardForm(request.POST)
                if not form.is_valid():
                    raise Refused("Scan or type a 14-digit card number.")
                desk.set_card("payment", _payment_card(form.cleaned_data["card_number"]))
            elif action == "done":
                desk.set_card("payment", None)
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
                messages.success(
                    request,
                    f"Payment of ${form.cleaned_data['amount']:.2f} taken. "
                    + (
                        "The fine is paid."
                        if fine.settled_at
                        else f"${fine.balance} still owed on it."
                    ),
                )
            elif action == "pay_all":
                fines = list(fines_for_patron(patron=card.patron))
                total = sum((fine.balance for fine in fines), start=Decimal("0.00"))
                with transaction.atomic():  # all of it, or none of it
                    for fine in fines:
                        services.fine_pay(fine=fine, amount=fine.balance, actor=request.user)
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
                messages.success(request, "Fine waived.")
        except Refused as refusal:
            messages.error(request, refusal.message)
        except PermissionDenied as denied:
            messages.error(request, str(denied) or "You may not do that.")
        return redirect(here)

    fines = list(fines_for_patron(patron=card.patron)) if card else []
    if card:
        log_access([card.patron, *fines], request=request, page="desk:payment")
    context = _context(
        request,
        "Take payment",
        card_form=CardForm(),
        card=card,
        patron=card.patron if card else None,
        fines=fines,
        balance=balance_for_patron(patron=card.patron) if card else None,
        can_waive=request.user.has_perm("circulation.waive_fine"),
    )
    return TemplateResponse(request, "admin/circulation/desk/payment.html", context)


@require_http_methods(["POST"])
def serve_patron_view(request):
    """From a patron's admin page: open the check-out or payment desk for their card."""
    from patrons.models import Patron

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
    desk = Desk(request)
    if target == "checkout":
        try:
            card_resolve(card_number=card.number)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return redirect(reverse("admin:patrons_patron_change", args=[patron.pk]))
    desk.set_card(target, card)
    return redirect(reverse(f"admin:circulation_{target}"))
