"""Fixtures of the SIP2 tests: a branch, terminal accounts of each kind, a patron with a
card and PIN, and a `talk` helper that sends raw SIP2 through a Conversation (the
server's protocol state) without a socket."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sip2 import services
from sip2.codec import Message, build, parse, timestamp
from sip2.models import Terminal
from sip2.server import Conversation
from tests.factories import DEFAULT_PIN, BranchFactory, CardFactory, ItemFactory, PatronFactory

CARD = "21234567890001"
PIN = DEFAULT_PIN
INSTITUTION = "calumet"


@pytest.fixture
def branch(db):
    return BranchFactory(code="main", name="Main")


def make_terminal(branch, name, login, **allowed) -> tuple[Terminal, str]:
    terminal = Terminal(name=name, login=login, branch=branch, **allowed)
    secret = services.terminal_save(terminal=terminal, actor=None)
    return terminal, secret


@pytest.fixture
def kiosk(branch):
    return make_terminal(
        branch, "Self-check kiosk 2", "kiosk2", may_patron=True, may_circulate=True
    )


@pytest.fixture
def pc_reservation(branch):
    return make_terminal(branch, "PC reservation", "pcres", may_patron=True)


@pytest.fixture
def sorter(branch):
    return make_terminal(branch, "Sorter", "sorter", may_checkin=True)


@pytest.fixture
def patron(db):
    patron = PatronFactory(first_name="Ada", last_name="Lovelace")
    CardFactory(patron=patron, number=CARD)
    return patron


@pytest.fixture
def item(branch):
    return ItemFactory(branch=branch, barcode="31234000000001", title__title="Secret Diaries")


class Talk:
    """Send requests as a terminal would; get parsed answers back."""

    def __init__(self, address="192.0.2.10") -> None:
        self.conversation = Conversation(address, 4096)
        self.sequence = 0

    def raw(self, data: bytes) -> bytes:
        return self.conversation.process(data)

    def send(self, command: str, fixed: dict | None = None, fields=(), *, seq=True) -> Message:
        message = Message(command, fixed or {}, list(fields))
        if seq:
            message.sequence = self.sequence
            self.sequence = (self.sequence + 1) % 10
        data = build(message, error_detection=seq)
        return parse(self.raw(data))

    def login(self, login: str, secret: str) -> Message:
        return self.send(
            "93", {"uid_algorithm": "0", "pwd_algorithm": "0"}, [("CN", login), ("CO", secret)]
        )


@pytest.fixture
def talk():
    return Talk()


STAMP = "20261201    120000"


def patron_info(talk, card=CARD, pin=PIN, summary=" " * 10, extra=()):
    fields = [("AO", INSTITUTION), ("AA", card)]
    if pin is not None:
        fields.append(("AD", pin))
    return talk.send(
        "63",
        {"language": "001", "transaction_date": STAMP, "summary": summary},
        [*fields, *extra],
    )


def checkout(talk, barcode, card=CARD, pin=None, *, no_block="N", stamp=STAMP):
    """`no_block="Y"`: a check-out the kiosk made offline, at the transaction date
    `stamp` (the field as sent)."""
    fields = [("AO", INSTITUTION), ("AA", card), ("AB", barcode), ("AC", "")]
    if pin is not None:
        fields.append(("AD", pin))
    return talk.send(
        "11",
        {
            "sc_renewal_policy": "N",
            "no_block": no_block,
            "transaction_date": stamp,
            "nb_due_date": "",
        },
        fields,
    )


def checkin(talk, barcode, *, returned_at=None, return_date=None, no_block="N"):
    """As a kiosk sends it: returned now, unless `returned_at` (a time) or `return_date`
    (the field as sent, whatever it is) says otherwise."""
    if return_date is None:
        return_date = timestamp(returned_at or timezone.now())
    return talk.send(
        "09",
        {
            "no_block": no_block,
            "transaction_date": timestamp(timezone.now()),
            "return_date": return_date,
        },
        [("AP", "main"), ("AO", INSTITUTION), ("AB", barcode), ("AC", "")],
    )
