"""SIP2 check-out, check-in, renew, renew all, item information, fee paid, hold and item
status update.

Each is a thin caller of `circulation.services`, exactly as the desk is: the same
services, the same branch (the terminal's), and a refusal's message shown as it is on
the kiosk's screen. Check-out, renewals and payments need the patron's PIN, sent with
the request or proven earlier in the session. A check-in answer never names, or gives
the card of, the previous borrower or the patron a hold is trapped for: only where the
copy goes (CT, CV) and the sorter's bin (CL, `SortBin`).

Dates a terminal gives (an offline check-out's, a check-in's return date) are honoured
within `CALUMET_SIP2_OFFLINE_MAX_HOURS` back and a few minutes of clock difference ahead.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from circulation import services
from circulation.selectors import (
    holds_queued_for_title,
    in_transit_hold_for_item,
    item_by_barcode,
    loans_for_patron,
    open_loan_for_item,
    transit_destination,
    waiting_hold_for_item,
)
from core.refusals import Refused
from sip2.codec import Message, count, read_timestamp, timestamp
from sip2.handlers import Session, identify, label
from sip2.models import SortBin, TerminalEvent
from sip2.refusals import institution, now_stamp, refusal
from sip2.selectors import sort_bin_for

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

#: SIP2 media types (CK): 000 other, 001 book, 002 magazine, 004 audio tape, 005 video
#: tape, 006 CD/CD-ROM. Audiobooks and DVDs are discs: 006 (a sorter need not treat them
#: as magnetic media).
MEDIA_TYPES = {
    "book": "001",
    "large_print": "001",
    "magazine": "002",
    "audiobook": "006",
    "dvd": "006",
}

#: How far ahead of the server's clock a terminal's date may be (its clock may be fast).
CLOCK_SKEW = datetime.timedelta(minutes=5)


def _terminal_date(value: str, what: str) -> datetime.datetime | None:
    """A date the terminal gave for what it did (None when blank), within what the
    library accepts: not in the future (beyond `CLOCK_SKEW`, else now), not more than
    `CALUMET_SIP2_OFFLINE_MAX_HOURS` ago. Refuses otherwise."""
    try:
        moment = read_timestamp(value)
    except ValueError:
        raise Refused(f"The {what} is not a date (YYYYMMDDZZZZHHMMSS).") from None
    if moment is None:
        return None
    now = timezone.now()
    if moment > now + CLOCK_SKEW:
        raise Refused(f"The {what} is in the future: check the terminal's clock.")
    hours = settings.CALUMET_SIP2_OFFLINE_MAX_HOURS
    if moment < now - datetime.timedelta(hours=hours):
        raise Refused(
            f"The {what} is more than {hours} hours ago: please take the item to the desk."
        )
    return min(moment, now)


def _item_fields(item, session: Session, route: str, destination_id: int | None) -> list:
    """Media type (CK), call number (CS) and the sorter's bin (CL) of a copy."""
    fields = [("CK", MEDIA_TYPES.get(item.item_type, "000"))]
    if item.call_number:
        fields.append(("CS", item.call_number))
    sort_bin = sort_bin_for(
        branch_id=session.terminal.branch_id,
        route=route,
        item_type=item.item_type,
        destination_id=destination_id,
    )
    if sort_bin:
        fields.append(("CL", sort_bin))
    return fields


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
    """A check-out, or, for an item already on the patron's card, a renewal where the
    rules allow it (as Koha does); either way ok 1 with the due date, so the kiosk
    desensitizes the copy. With the no-block flag (a kiosk that was offline and sends
    what it did), the check-out is made as the desk would have made it at the
    transaction date: its rules, blocks and due date then."""
    view = identify(session, request)
    patron, why = _patron(view)
    if patron is None:
        return _refused(session, request, why)
    barcode = request.get("AB").strip()
    offline = request.fixed.get("no_block") == "Y"
    renewed, screen = False, ""
    try:
        when = None
        if offline:  # (online, the kiosk's clock does not matter: now is the date)
            when = _terminal_date(request.fixed.get("transaction_date"), "check-out date")
        mine = loans_for_patron(patron=patron).filter(item__barcode=barcode).first()
        if mine is None:
            loan = services.loan_checkout(
                card=view.card,
                barcode=barcode,
                actor=patron,
                branch=session.terminal.branch,
                now=when,
            )
        elif offline:
            loan = mine  # sent again after the kiosk was offline: already done
        else:
            try:
                loan = services.loan_renew(loan=mine, actor=patron)
                renewed = True
            except Refused as not_renewed:
                loan = mine
                screen = (
                    f"Already checked out to you, due {_due(loan)}. "
                    f"Not renewed: {not_renewed.message}"
                )
    except Refused as refused:
        return _refused(session, request, refused.message)
    if not screen:
        screen = f"{'Renewed' if renewed else 'Checked out'}, due {_due(loan)}."
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
            ("AF", screen),
        ],
    )


def checkin(session: Session, request: Message) -> Message:
    """A return at the terminal's branch, dated by the return date (09) when given. The
    answer says where the copy goes: the hold shelf here (CV 01), another branch for a
    hold (02) or home (04), with that branch's code in CT, and the sorter's bin (CL)."""
    barcode = request.get("AB").strip()
    item = item_by_barcode(barcode=barcode)
    try:
        returned_at = _terminal_date(request.fixed.get("return_date"), "return date")
        result = services.loan_return(
            barcode=barcode,
            actor=None,
            branch=session.terminal.branch,
            returned_at=returned_at,
        )
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
    route, destination = SortBin.Route.SHELVE, None
    hold = result.hold
    if hold is not None:
        alert = True
        # Where the copy goes: the pickup branch. Never who it is for.
        fields.append(("CT", hold.pickup_branch.code))
        if hold.status == hold.Status.WAITING:
            fields.append(("CV", "01"))
            screen = f"Hold: put on the hold shelf at {hold.pickup_branch.name}."
            route = SortBin.Route.HOLD
        else:
            fields.append(("CV", "02"))
            screen = f"Hold: send to {hold.pickup_branch.name}."
            route, destination = SortBin.Route.TRANSIT, hold.pickup_branch_id
    elif result.transit is not None:
        alert = True
        to = result.transit.to_branch
        fields += [("CT", to.code), ("CV", "04")]
        screen = f"Send to {to.name}."
        route, destination = SortBin.Route.TRANSIT, to.pk
    fields += _item_fields(item, session, route, destination)
    fields.append(("AF", screen))
    return Message(
        "10",
        {
            "ok": "1",
            "resensitize": "N" if hold is not None else "Y",
            "magnetic_media": "U",
            "alert": "Y" if alert else "N",
            "transaction_date": now_stamp(),
        },
        fields,
    )


def _route_if_checked_in(item, here: int) -> tuple[str, int | None]:
    """Where a copy would go if it were checked in at branch `here` now (a guess for the
    item information answer's bin: a hold may yet claim it)."""
    if item.status == item.Status.ON_HOLD_SHELF:
        return SortBin.Route.HOLD, None
    if item.status == item.Status.IN_TRANSIT:
        destination = transit_destination(item=item)
        if destination is not None and destination.pk != here:
            return SortBin.Route.TRANSIT, destination.pk
        if in_transit_hold_for_item(item=item) is not None:
            return SortBin.Route.HOLD, None
        return SortBin.Route.SHELVE, None
    if item.branch_id != here:
        return SortBin.Route.TRANSIT, item.branch_id
    return SortBin.Route.SHELVE, None


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
    fields += _item_fields(item, session, *_route_if_checked_in(item, session.terminal.branch_id))
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


def item_status_update(session: Session, request: Message) -> Message:
    """An RFID pad or sorter sends a copy's item properties (CH). Calumet keeps none, so
    nothing is stored: the answer (20, ok) says the copy is known, and nothing more."""
    item = item_by_barcode(barcode=request.get("AB"))
    if item is None:
        return _refused(session, request, "No item has that barcode.")
    return Message(
        "20",
        {"item_properties_ok": "1", "transaction_date": now_stamp()},
        [("AB", item.barcode), ("AJ", label(item)), ("AF", "Item status noted.")],
    )


HANDLERS = {
    "11": checkout,
    "19": item_status_update,
    "09": checkin,
    "17": item_information,
    "29": renew,
    "65": renew_all,
}
