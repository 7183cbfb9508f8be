"""SIP2 check-out, check-in, renew, renew all, item information and fee paid.

Each is a thin caller of `circulation.services`, exactly as the desk is: the same
services, the same branch (the terminal's), and a refusal's message shown as it is on
the kiosk's screen. Check-out, renewals and payments need the patron's PIN, sent with
the request or proven earlier in the session. A check-in answer never names, or gives
the card of, the previous borrower or the patron a hold is trapped for.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import timezone

from circulation import services
from circulation.selectors import (
    fines_for_patron,
    holds_queued_for_title,
    item_by_barcode,
    loans_for_patron,
    open_loan_for_item,
    waiting_hold_for_item,
)
from core.refusals import Refused
from sip2.codec import Message, count, timestamp
from sip2.handlers import Session, identify, label
from sip2.models import TerminalEvent
from sip2.refusals import institution, now_stamp, refusal

NEED_PIN = "Please enter your PIN."

CIRCULATION_STATUS = {
    "available": "03",
    "on_loan": "04",
    "on_hold_shelf": "08",
    "in_transit": "10",
    "lost": "12",
    "missing": "13",
    "withdrawn": "01",
}


def _refused(session: Session, request: Message, text: str) -> Message:
    """The negative answer, with the desk's reason, and a terminal event (no patron data)."""
    session.event(TerminalEvent.Kind.REFUSED, request.command)
    return refusal(request, text)


def _patron(view):
    if view.locked:
        return None, "Too many wrong PINs: try again later, or ask at the desk."
    if view.card is None:
        return None, "This card cannot be used. Please ask at the desk."
    if not view.verified:
        return None, NEED_PIN if not view.pin_given else "Card number or PIN not accepted."
    return view.patron, ""


def _due(loan) -> str:
    due = timezone.localtime(loan.due_at)
    return f"{due:%a %b} {due.day}"


def checkout(session: Session, request: Message) -> Message:
    view = identify(session, request)
    patron, why = _patron(view)
    if patron is None:
        return _refused(session, request, why)
    barcode = request.get("AB").strip()
    renewed = False
    try:
        loan = services.loan_checkout(
            card=view.card,
            barcode=barcode,
            actor=patron,
            branch=session.terminal.branch,
        )
    except Refused as refused:
        # A kiosk checking out an item the patron already has: renew it, as Koha does.
        mine = loans_for_patron(patron=patron).filter(item__barcode=barcode).first()
        if refused.code not in ("already_has", "on_loan") or mine is None:
            return _refused(session, request, refused.message)
        try:
            loan = services.loan_renew(loan=mine, actor=patron)
        except Refused as not_renewed:
            return _refused(session, request, not_renewed.message)
        renewed = True
    session.log_access([loan], "checkout", patron=patron)
    return Message(
        "12",
        {
            "ok": "1",
            "renewal_ok": "Y" if renewed else "N",
            "magnetic_media": "U",
            "desensitize": "Y",
            "transaction_date": now_stamp(),
        },
        [
            ("AO", institution()),
            ("AA", session.patron_card),
            ("AB", loan.item.barcode),
            ("AJ", label(loan.item)),
            ("AH", timestamp(loan.due_at)),
            ("AF", f"{'Renewed' if renewed else 'Checked out'}, due {_due(loan)}."),
        ],
    )


def checkin(session: Session, request: Message) -> Message:
    barcode = request.get("AB").strip()
    item = item_by_barcode(barcode=barcode)
    try:
        result = services.loan_return(barcode=barcode, actor=None, branch=session.terminal.branch)
    except Refused as refused:
        answer = _refused(session, request, refused.message)
        answer.fixed["alert"] = "Y"
        return answer
    records = [result.loan, result.fine, result.hold]
    if any(records):
        session.log_access(records, "checkin")
    fields = [
        ("AO", institution()),
        ("AB", item.barcode),
        ("AQ", item.branch.code),
        ("AJ", label(item)),
    ]
    screen = "Returned. Thank you." if result.loan else "Checked in."
    alert = False
    hold = result.hold
    if hold is not None:
        alert = True
        # Where the copy goes: the pickup branch. Never who it is for.
        fields.append(("CT", hold.pickup_branch.code))
        if hold.status == hold.Status.WAITING:
            fields.append(("CV", "01"))
            screen = f"Hold: put on the hold shelf at {hold.pickup_branch.name}."
        else:
            fields.append(("CV", "02"))
            screen = f"Hold: send to {hold.pickup_branch.name}."
    fields.append(("AF", screen))
    return Message(
        "10",
        {
            "ok": "1",
            "resensitize": "N" if alert else "Y",
            "magnetic_media": "U",
            "alert": "Y" if alert else "N",
            "transaction_date": now_stamp(),
        },
        fields,
    )


def item_information(session: Session, request: Message) -> Message:
    item = item_by_barcode(barcode=request.get("AB"))
    if item is None:
        return _refused(session, request, "No item has that barcode.")
    fields = [
        ("CF", str(holds_queued_for_title(title_id=item.title_id))),
        ("AB", item.barcode),
        ("AJ", label(item)),
        ("AQ", item.branch.code),
        ("AP", item.branch.code),
    ]
    if item.status == item.Status.ON_LOAN:
        loan = open_loan_for_item(item=item)
        if loan is not None:
            fields.insert(1, ("AH", timestamp(loan.due_at)))
    elif item.status == item.Status.ON_HOLD_SHELF:
        hold = waiting_hold_for_item(item=item)
        if hold is not None and hold.pickup_by:
            fields.insert(1, ("CM", timestamp(hold.pickup_by)))
    return Message(
        "18",
        {
            "circulation_status": CIRCULATION_STATUS.get(item.status, "01"),
            "security_marker": "00",
            "fee_type": "01",
            "transaction_date": now_stamp(),
        },
        fields,
    )


def _renew_answer(request: Message, session: Session, loan) -> Message:
    return Message(
        "30",
        {
            "ok": "1",
            "renewal_ok": "Y",
            "magnetic_media": "U",
            "desensitize": "Y",
            "transaction_date": now_stamp(),
        },
        [
            ("AO", institution()),
            ("AA", session.patron_card),
            ("AB", loan.item.barcode),
            ("AJ", label(loan.item)),
            ("AH", timestamp(loan.due_at)),
            ("AF", f"Renewed, due {_due(loan)}."),
        ],
    )


def renew(session: Session, request: Message) -> Message:
    patron, why = _patron(identify(session, request))
    if patron is None:
        return _refused(session, request, why)
    barcode = request.get("AB").strip()
    loan = loans_for_patron(patron=patron).filter(item__barcode=barcode).first()
    if loan is None:
        return _refused(session, request, "This item is not checked out to this card.")
    try:
        loan = services.loan_renew(loan=loan, actor=patron)
    except Refused as refused:
        return _refused(session, request, refused.message)
    session.log_access([loan], "renew", patron=patron)
    return _renew_answer(request, session, loan)


def renew_all(session: Session, request: Message) -> Message:
    patron, why = _patron(identify(session, request))
    if patron is None:
        return _refused(session, request, why)
    renewed, unrenewed, touched = [], [], []
    for loan in loans_for_patron(patron=patron):
        try:
            loan = services.loan_renew(loan=loan, actor=patron)
        except Refused:
            unrenewed.append(label(loan.item))
        else:
            renewed.append(label(loan.item))
        touched.append(loan)
    session.log_access(touched, "renew_all", patron=patron)
    answer = Message(
        "66",
        {
            "ok": "1",
            "renewed_count": count(len(renewed)),
            "unrenewed_count": count(len(unrenewed)),
            "transaction_date": now_stamp(),
        },
        [("AO", institution())],
    )
    for value in renewed:
        answer.add("BM", value)
    for value in unrenewed:
        answer.add("BN", value)
    answer.add("AF", f"{len(renewed)} renewed, {len(unrenewed)} not renewed.")
    return answer


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


HANDLERS = {
    "11": checkout,
    "09": checkin,
    "17": item_information,
    "29": renew,
    "65": renew_all,
    "37": fee_paid,
}
