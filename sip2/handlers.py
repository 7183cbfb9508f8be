"""Answers to SIP2 requests: sign-in, status, patron status and information, end session.

`handle(session, message)` runs in a worker thread with database access and returns
the answer. Circulation (check-out, check-in, renew, fee paid, item information) is in
`sip2/circulation_messages.py`. Block patron (01) and patron enable (25), for terminals
allowed them, are here too. Every answer is built from facts the desk would show
the patron standing at it; nothing about other patrons, and no address, email, phone
or birth date ever.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from circulation.selectors import (
    ZERO,
    balance_for_patron,
    fines_for_patron,
    holds_for_patron,
    library_policy,
    loan_limit_for,
    loans_for_patron,
)
from patrons.accounts import block_place_by_machine, blocks_lift_by_machine
from patrons.selectors import blocks_in_force
from sip2 import selectors, services
from sip2.access import log_terminal_access
from sip2.account import any_card, card_number, display_name, pin_check, status_flags, valid_card
from sip2.codec import Message, count, yes
from sip2.models import Terminal, TerminalEvent
from sip2.refusals import LANGUAGE, institution, now_stamp, refusal

log = logging.getLogger("calumet.sip2")

MAX_LIST_ITEMS = 50

#: Position of each request in the supported-messages field (BX) of the status answer.
SUPPORTED_ORDER = (
    "23",  # patron status
    "11",  # checkout
    "09",  # checkin
    "01",  # block patron
    "99",  # SC/ACS status
    "97",  # request resend
    "93",  # login
    "63",  # patron information
    "35",  # end patron session
    "37",  # fee paid
    "17",  # item information
    "19",  # item status update
    "25",  # patron enable
    "15",  # hold
    "29",  # renew
    "65",  # renew all
)


@dataclass
class Session:
    """One connection's state. `patron_card` is the card whose PIN was checked in this
    session (until end session or another patron); `pin_digest` a keyed digest of that
    PIN, under a key of this session's own, so that a kiosk sending the same PIN again
    with each message is not made to wait for the PIN's hash each time. Neither ever
    leaves the process."""

    address: str | None = None
    terminal: Terminal | None = None
    patron_card: str | None = None
    pin_digest: bytes | None = None
    failed_logins: int = 0
    close: bool = False
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    #: The access entries this connection wrote lately: {(patron id, page, access): when}.
    logged: dict = field(default_factory=dict, repr=False)

    def log_access(self, records, message: str, patron=None) -> int:
        """Access entries for what this terminal read or changed. A patron it was logged
        as seeing on the same kind of message within the repeat window is not asked of
        the database again (a kiosk asks for the same patron's screen every few seconds)."""
        # Only what the repeat window still needs: a patron id stays here minutes, not
        # the whole day the kiosk's connection lasts.
        since = timezone.now() - timedelta(minutes=settings.CALUMET_AUDIT_REPEAT_MINUTES)
        self.logged = {key: when for key, when in self.logged.items() if when > since}
        return log_terminal_access(
            records,
            terminal=self.terminal,
            message=message,
            patron=patron,
            remembered=self.logged,
        )

    def digest(self, pin: str) -> bytes:
        return hmac.new(self.key, (pin or "").encode(), hashlib.sha256).digest()

    def same_pin(self, number: str, pin: str) -> bool:
        """The card whose PIN this session checked, with that PIN again."""
        return (
            self.patron_card == number
            and self.pin_digest is not None
            and hmac.compare_digest(self.pin_digest, self.digest(pin))
        )

    def verified(self, number: str | None, pin: str | None = None) -> None:
        """The PIN of this card was accepted (None: forget the patron, and which patrons
        this connection logged as seen: the next asks the database again)."""
        self.patron_card = number
        self.pin_digest = self.digest(pin) if number and pin is not None else None
        if number is None:
            self.logged = {}

    def event(self, kind: str, code: str = "") -> None:
        try:
            services.event_record(
                kind=kind,
                terminal_id=self.terminal.pk if self.terminal else None,
                code=code,
                address=self.address,
            )
        except DatabaseError as error:  # the answer matters more than its record
            log.error("sip2: could not record a %s event (%s)", kind, type(error).__name__)


def login(session: Session, request: Message) -> Message:
    terminal = selectors.terminal_authenticate(login=request.get("CN"), secret=request.get("CO"))
    if terminal is None:
        session.terminal = None
        session.failed_logins += 1
        session.event(TerminalEvent.Kind.LOGIN_REFUSED, "93")
        if session.failed_logins >= 3:
            session.close = True
        return Message("94", {"ok": "0"})
    session.terminal = terminal
    session.verified(None)
    session.failed_logins = 0
    session.event(TerminalEvent.Kind.LOGIN, "93")
    return Message("94", {"ok": "1"})


def sc_status(session: Session, request: Message) -> Message:
    allowed = session.terminal.allowed_commands()
    stamp = now_stamp()
    return Message(
        "98",
        {
            "online_status": "Y",
            "checkin_ok": yes("09" in allowed),
            "checkout_ok": yes("11" in allowed),
            "acs_renewal_policy": yes("29" in allowed),
            # patron status update: block patron (01); offline: dated check-outs (11).
            "status_update_ok": yes("01" in allowed),
            "offline_ok": yes("11" in allowed),
            "timeout_period": "030",
            "retries_allowed": "003",
            "date_time_sync": stamp,
            "protocol_version": "2.00",
        },
        [
            ("AO", institution()),
            ("AM", settings.CALUMET_LIBRARY_NAME),
            ("BX", "".join(yes(code in allowed) for code in SUPPORTED_ORDER)),
            ("AN", session.terminal.branch.name),
        ],
    )


@dataclass
class PatronView:
    number: str
    card: object = None
    patron: object = None
    verified: bool = False
    pin_given: bool = False
    locked: bool = False


def identify(session: Session, request: Message) -> PatronView:
    """Who the request is about, and whether the PIN was proven (now or earlier in the
    session). A PIN sent with the request is checked with the portal's lockout."""
    number = card_number(request.get("AA"))
    view = PatronView(number=number, pin_given=request.has("AD"))
    if view.pin_given and number and session.same_pin(number, request.get("AD")):
        view.verified = True  # checked against its hash earlier in this session
    elif view.pin_given and number:
        result = pin_check(
            number=number,
            pin=request.get("AD"),
            address=session.address,
            terminal_id=session.terminal.pk,
        )
        view.locked = result.locked
        if result.locked:
            session.event(TerminalEvent.Kind.PIN_LOCKED, request.command)
        if result.patron is not None:
            view.verified = True
            session.verified(number, request.get("AD"))
        elif session.patron_card == number:
            session.verified(None)
    elif number and session.patron_card == number:
        view.verified = True
    view.card = valid_card(number) if number else None
    if view.card is not None:
        view.patron = view.card.patron
    elif view.verified:
        view.verified = False  # the card stopped being valid since
    return view


def _pin_fields(view: PatronView) -> list[tuple[str, str]]:
    fields = [("BL", yes(view.card is not None))]
    if view.pin_given or view.verified:
        fields.append(("CQ", yes(view.verified)))
    return fields


def _screen(view: PatronView) -> str:
    if view.locked:
        return "Too many wrong PINs: try again later, or ask at the desk."
    if view.card is None:
        return "This card cannot be used. Please ask at the desk."
    if view.pin_given and not view.verified:
        return "Card number or PIN not accepted."
    return ""


def _owner(card):
    """The patron of a card (valid or not: a lost card's flags say so)."""
    return card.patron if card is not None else None


def _status_answer(
    session: Session, request: Message, view: PatronView, *, code: str, page: str, extra=()
) -> Message:
    """The patron status answer (24; 26 for patron enable) for the patron of `view`.
    `extra`: records this message changed, logged with the patron."""
    shown_card = view.card or any_card(view.number)
    patron = view.patron
    balance = balance_for_patron(patron=patron) if patron else None
    open_loans = loans_for_patron(patron=patron).count() if patron else 0
    answer = Message(
        code,
        {
            "patron_status": status_flags(
                card=shown_card, patron=_owner(shown_card), balance=balance, open_loans=open_loans
            ),
            "language": LANGUAGE,
            "transaction_date": now_stamp(),
        },
        [
            ("AO", institution()),
            ("AA", view.number),
            ("AE", display_name(patron) if view.verified else ""),
            *_pin_fields(view),
        ],
    )
    if view.verified:
        answer.add("BH", settings.CALUMET_SIP2_CURRENCY).add("BV", f"{balance:.2f}")
    if (owner := _owner(shown_card)) is not None:
        session.log_access([owner, *extra], page)
    if text := _screen(view):
        answer.add("AF", text)
    return answer


def patron_status(session: Session, request: Message) -> Message:
    return _status_answer(
        session, request, identify(session, request), code="24", page="patron_status"
    )


def block_patron(session: Session, request: Message) -> Message:
    """The kiosk keeps a card (left in it, or tampering): the patron is blocked until the
    desk, or a kiosk with the patron's PIN (patron enable), lifts it. No PIN needed: the
    terminal's account must be allowed to block. The answer is a patron status (24)."""
    view = identify(session, request)
    card = view.card or any_card(view.number)
    if card is None:
        session.event(TerminalEvent.Kind.REFUSED, request.command)
        return refusal(request, "This card cannot be used. Please ask at the desk.")
    why = " ".join(request.get("AL").split())[:150]
    note = f"Card kept by {session.terminal.description}" + (f": {why}" if why else "")
    block = block_place_by_machine(patron=card.patron, note=note, actor=None)
    answer = _status_answer(session, request, view, code="24", page="block_patron", extra=[block])
    if not answer.has("AF"):
        answer.add("AF", "This card is blocked. Please ask at the desk.")
    return answer


def patron_enable(session: Session, request: Message) -> Message:
    """Lift the blocks kiosks placed on this patron (never one staff placed), with the
    patron's PIN. The answer is a patron status (26) after."""
    view = identify(session, request)
    if view.patron is None or not view.verified:
        session.event(TerminalEvent.Kind.REFUSED, request.command)
        text = _screen(view) or "Please enter your PIN."
        return refusal(request, text)
    lifted = blocks_lift_by_machine(patron=view.patron, actor=view.patron)
    answer = _status_answer(session, request, view, code="26", page="patron_enable", extra=lifted)
    if blocks_in_force(patron=view.patron):
        answer.add("AF", "Your card has a block only the desk can lift.")
    elif lifted:
        answer.add("AF", "Your card is unblocked.")
    else:
        answer.add("AF", "Your card has no block a kiosk can lift.")
    return answer


def _range(request: Message) -> tuple[int, int]:
    def number(value: str, default: int) -> int:
        value = (value or "").strip()
        return int(value) if value.isdigit() and len(value) <= 5 else default

    start = max(number(request.get("BP"), 1), 1)
    end = number(request.get("BQ"), start + 9)
    end = min(max(end, start), start + MAX_LIST_ITEMS - 1)
    return start, end


def label(item, title=None) -> str:
    """How an item is named in an answer: its title only when the library allows it."""
    if item is None:
        return title.title if (title is not None and settings.CALUMET_SIP2_TITLES) else ""
    if settings.CALUMET_SIP2_TITLES:
        return item.title.title
    return item.barcode


def patron_information(session: Session, request: Message) -> Message:
    view = identify(session, request)
    shown_card = view.card or any_card(view.number)
    patron = view.patron
    now = timezone.now()
    summary = request.fixed.get("summary", "")
    wanted = summary.find("Y")
    loans = []
    if patron is not None:
        # The copies' labels only when a list of loans is asked for (AT, AU).
        loans = loans_for_patron(patron=patron)
        loans = list(loans if wanted in (1, 2) and view.verified else loans.select_related(None))
    holds = list(holds_for_patron(patron=patron)) if view.verified else []
    fines = list(fines_for_patron(patron=patron)) if view.verified else []
    if view.verified:  # the open fines are loaded: their sum is the balance
        balance = sum((fine.amount - fine.amount_paid for fine in fines), ZERO)
    else:
        balance = balance_for_patron(patron=patron) if patron else None
    limit = loan_limit_for(patron=patron) if patron else None
    overdue = [loan for loan in loans if loan.due_at < now]
    ready = [hold for hold in holds if hold.status == hold.Status.WAITING]
    waiting = [hold for hold in holds if hold.status != hold.Status.WAITING]
    shown = view.verified
    owner = _owner(shown_card)
    fixed = {
        "patron_status": status_flags(
            card=shown_card,
            patron=owner,
            balance=balance,
            open_loans=len(loans),
            limit=limit if owner is patron else None,
        ),
        "language": LANGUAGE,
        "transaction_date": now_stamp(),
        "hold_items_count": count(len(ready) if shown else None),
        "overdue_items_count": count(len(overdue) if shown else None),
        "charged_items_count": count(len(loans) if shown else None),
        "fine_items_count": count(len(fines) if shown else None),
        "recall_items_count": count(0 if shown else None),
        "unavailable_holds_count": count(len(waiting) if shown else None),
    }
    answer = Message(
        "64",
        fixed,
        [
            ("AO", institution()),
            ("AA", view.number),
            ("AE", display_name(patron) if shown else ""),
            *_pin_fields(view),
        ],
    )
    if shown:
        answer.add("CB", count(limit))
        answer.add("BH", settings.CALUMET_SIP2_CURRENCY).add("BV", f"{balance:.2f}")
        answer.add("CC", f"{library_policy().max_balance:.2f}")
        start, end = _range(request)
        lists = {
            0: ("AS", [label(hold.item) for hold in ready]),
            1: ("AT", [label(loan.item) for loan in overdue]),
            2: ("AU", [label(loan.item) for loan in loans]),
            3: ("AV", [f"{fine.pk} ${fine.balance} {fine.get_reason_display()}" for fine in fines]),
            4: ("BU", []),
            5: ("CD", [label(None, hold.title) or f"Hold {hold.pk}" for hold in waiting]),
        }
        if wanted in lists:
            field_id, values = lists[wanted]
            for value in values[start - 1 : end]:
                answer.add(field_id, value)
    if owner is not None:
        records = [owner, *loans, *holds, *fines] if shown else [owner]
        session.log_access(records, "patron_information")
    if text := _screen(view):
        answer.add("AF", text)
    return answer


def end_session(session: Session, request: Message) -> Message:
    session.verified(None)
    return Message(
        "36",
        {"end_session": "Y", "transaction_date": now_stamp()},
        [("AO", institution()), ("AA", card_number(request.get("AA")))],
    )


HANDLERS = {
    "99": sc_status,
    "23": patron_status,
    "63": patron_information,
    "35": end_session,
    "01": block_patron,
    "25": patron_enable,
}
