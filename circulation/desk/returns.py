"""The desk's pages that start from a copy, not a card: check-in, renew and the hold
shelf (each scan is one transaction through circulation's services)."""

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
from circulation.desk.forms import ItemForm
from circulation.desk.scanning import OVERRIDABLE, _item, override_from
from circulation.desk.state import (
    Desk,
    batch_link,
    desk_context,
    handle_branch,
    handle_done,
)
from circulation.models import Hold, Item, Loan
from circulation.models.lending import OverrideKind
from circulation.selectors import (
    open_transit,
)
from circulation.services.overrides import Override
from core.refusals import Refused
from patrons.models import Card
from privacy.access import log_access


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
