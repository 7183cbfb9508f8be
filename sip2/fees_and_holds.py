"""SIP2 messages about a patron's money and holds: fee paid (37) and hold (15). They go
through circulation's services like the desk; the shared helpers (the patron check, the
refusal answer) are `sip2.circulation_messages`'."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from circulation import services
from circulation.selectors import (
    branch_by_code,
    fines_for_patron,
    hold_queue_position,
    holds_for_patron,
    item_by_barcode,
)
from core.refusals import Refused
from sip2.circulation_messages import _patron, _refused
from sip2.codec import Message
from sip2.handlers import Session, identify, label
from sip2.refusals import institution, now_stamp


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal((value or "").strip().lstrip("$")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise Refused("The amount is not a number such as 2.50.") from None
    if not amount.is_finite():
        raise Refused("The amount is not a number such as 2.50.")
    return amount


#: SIP2's payment types (fixed field of 37): 00 cash, 01 VISA, 02 credit card.
PAYMENT_METHODS = {"00": "cash", "01": "card", "02": "card"}


def fee_paid(session: Session, request: Message) -> Message:
    """A payment taken by the kiosk: to the fine named (CG), or to the oldest fines
    first. All of it is applied or none (an overpayment is refused), as at the desk."""
    patron, why = _patron(identify(session, request))
    if patron is None:
        return _refused(session, request, why)
    try:
        amount = _amount(request.get("BV"))
        fines = list(fines_for_patron(patron=patron))
        wanted = request.get("CG").strip()
        if wanted:
            fines = [fine for fine in fines if str(fine.pk) == wanted]
            if not fines:
                raise Refused("That fine is not on this account.")
        if amount <= 0:
            raise Refused("A payment must be more than $0.00.")
        if amount > sum((fine.balance for fine in fines), start=Decimal("0.00")):
            raise Refused("That is more than is owed: overpayment refused.")
        method = PAYMENT_METHODS.get(request.fixed.get("payment_type", ""))
        if method is None:
            raise Refused("The library takes cash or card at its kiosks.")
        parts, left = [], amount
        for fine in fines:
            if left <= 0:
                break
            part = min(left, fine.balance)
            parts.append((fine, part))
            left -= part
        number = services.payment_take(
            patron=patron, parts=parts, method=method, branch=session.terminal.branch, actor=patron
        )
    except Refused as refused:
        return _refused(session, request, refused.message)
    paid = [fine for fine, _ in parts]
    session.log_access(paid, "fee_paid", patron=patron)
    answer = Message(
        "38",
        {"payment_accepted": "Y", "transaction_date": now_stamp()},
        [("AO", institution()), ("AA", session.patron_card)],
    )
    if request.has("BK"):
        answer.add("BK", request.get("BK"))
    return answer.add("AF", f"Payment of ${amount:.2f} accepted. Receipt {number}.")


def hold(session: Session, request: Message) -> Message:
    """Place (+) or cancel (-) the patron's hold on the title of the copy scanned (AB),
    for pickup at the branch given (BS, a branch code) or the terminal's, through the
    desk's hold services. Needs the PIN. Changing a hold (*) is refused."""
    patron, why = _patron(identify(session, request))
    if patron is None:
        return _refused(session, request, why)
    mode = request.fixed.get("hold_mode", "")
    if mode == "*":
        return _refused(session, request, "A hold cannot be changed here. Ask at the desk.")
    if mode not in ("+", "-"):
        return _refused(session, request, "Unknown hold mode: + places a hold, - cancels it.")
    if not request.get("AB").strip():
        return _refused(session, request, "Scan the item to place or cancel its hold.")
    item = item_by_barcode(barcode=request.get("AB"))
    if item is None:
        return _refused(session, request, "No item has that barcode.")
    try:
        if mode == "+":
            pickup = session.terminal.branch
            if request.get("BS").strip():
                pickup = branch_by_code(code=request.get("BS"))
                if pickup is None:
                    raise Refused("No branch has that pickup location code.")
            placed = services.hold_place(
                patron=patron, title=item.title, pickup_branch=pickup, actor=patron
            )
            screen = f"Hold placed: pick it up at {placed.pickup_branch.name}."
        else:
            placed = holds_for_patron(patron=patron).filter(title_id=item.title_id).first()
            if placed is None:
                raise Refused("This card has no hold on this title.")
            placed = services.hold_cancel(hold=placed, actor=patron)
            screen = "Hold cancelled."
    except Refused as refused:
        return _refused(session, request, refused.message)
    session.log_access([placed], "hold", patron=patron)
    ready = placed.status == placed.Status.WAITING
    answer = Message(
        "16",
        {"ok": "1", "available": "Y" if ready else "N", "transaction_date": now_stamp()},
    )
    if mode == "+":
        answer.add("BR", str(hold_queue_position(hold=placed)))
    return (
        answer.add("BS", placed.pickup_branch.code)
        .add("AO", institution())
        .add("AA", session.patron_card)
        .add("AB", item.barcode)
        .add("AJ", label(item))
        .add("AF", screen)
    )


HANDLERS = {
    "15": hold,
    "37": fee_paid,
}
