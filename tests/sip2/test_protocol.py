"""Error detection, sequence numbers and hostile input, through the server's protocol
state: a resend request (96) or a refusal, never an exception, never a double action."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sip2.handlers
from circulation.models import Loan
from sip2.codec import Message, build, checksum, parse
from sip2.models import TerminalEvent
from sip2.server import MAX_ERRORS, RESEND, Conversation
from tests.sip2.conftest import CARD, INSTITUTION, PIN, STAMP, Talk, checkout, patron_info

pytestmark = pytest.mark.django_db


def test_resend_request_is_the_protocol_s():
    assert RESEND == b"96AZFEF6\r"


def test_answer_carries_the_request_sequence_and_a_valid_checksum(talk, kiosk):
    talk.sequence = 6
    data = talk.raw(
        build(Message("93", {"uid_algorithm": "0", "pwd_algorithm": "0"}, [("CN", "kiosk2")], 6))
    )
    assert data.endswith(b"\r")
    body = data[:-1]
    assert b"AY6AZ" in body
    assert checksum(body[: body.rfind(b"AZ") + 2]) == body[-4:].decode()


def test_no_error_detection_without_it_in_the_request(talk, kiosk):
    data = talk.raw(f"9300CNkiosk2|CO{kiosk[1]}|\r".encode())
    assert data == b"941\r"


def test_bad_checksum_gets_a_resend_request(talk, kiosk):
    good = build(Message("93", {"uid_algorithm": "0", "pwd_algorithm": "0"}, [("CN", "x")], 0))
    bad = good[:-5] + (b"0000" if good[-5:-1] != b"0000" else b"0001") + b"\r"
    assert talk.raw(bad) == RESEND
    assert TerminalEvent.objects.filter(kind="checksum").exists()


def test_resend_of_the_last_answer(talk, kiosk):
    first = talk.raw(f"9300CNkiosk2|CO{kiosk[1]}|\r".encode())
    assert talk.raw(b"97\r") == first


def test_a_repeated_message_is_answered_again_but_done_once(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    message = Message(
        "11",
        {"sc_renewal_policy": "N", "no_block": "N", "transaction_date": STAMP, "nb_due_date": ""},
        [("AO", INSTITUTION), ("AA", CARD), ("AB", item.barcode)],
        sequence=talk.sequence,
    )
    data = build(message)
    first = talk.raw(data)
    again = talk.raw(data)
    assert again == first
    assert parse(first).fixed["ok"] == "1"
    assert Loan.objects.get().renewals == 0


def test_out_of_sequence_is_refused_then_resynchronised(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    talk.sequence = (talk.sequence + 4) % 10  # skips numbers
    answer = checkout(talk, item.barcode)
    assert answer.fixed["ok"] == "0"
    assert "sequence" in answer.get("AF")
    assert not Loan.objects.exists()
    assert TerminalEvent.objects.filter(kind="sequence").exists()
    assert checkout(talk, item.barcode).fixed["ok"] == "1"


def test_a_terminal_that_does_not_count_is_served(talk, kiosk, patron):
    talk.login("kiosk2", kiosk[1])
    talk.sequence = 0
    first = patron_info(talk)
    talk.sequence = 0
    answer = talk.send("35", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AA", CARD)])
    assert first.get("CQ") == "Y" and answer.fixed["end_session"] == "Y"


def test_sequence_wraps_after_nine(talk, kiosk):
    for _ in range(12):
        assert talk.login("kiosk2", kiosk[1]).fixed["ok"] == "1"


def test_an_answer_code_sent_as_a_request_is_refused(talk, kiosk):
    assert talk.raw(b"941\r") == RESEND


def test_too_many_bad_messages_end_the_conversation(talk):
    for _ in range(MAX_ERRORS):
        assert talk.raw(b"garbage\r") == RESEND
    assert talk.conversation.finished


def test_oversized_message(kiosk):
    conversation = Conversation("192.0.2.1", 100)
    assert conversation.process(b"63" + b"x" * 200) == RESEND
    assert TerminalEvent.objects.filter(kind="oversized").exists()


def test_a_server_error_is_a_refusal_not_a_crash(talk, kiosk, patron, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    talk.login("kiosk2", kiosk[1])
    monkeypatch.setitem(sip2.handlers.HANDLERS, "63", broken)
    answer = patron_info(talk)
    assert answer.command == "64"
    assert answer.get("BL") == "N"
    assert TerminalEvent.objects.filter(kind="error", message_code="63").exists()


def test_the_pin_never_reaches_the_log(talk, kiosk, patron, caplog):
    caplog.set_level("DEBUG")
    talk.login("kiosk2", kiosk[1])
    patron_info(talk, pin="9753")
    patron_info(talk, pin=PIN)
    talk.raw(b"garbage|AD9753|AA" + CARD.encode() + b"\r")
    text = caplog.text
    for secret in ("9753", PIN, CARD, kiosk[1]):
        assert secret not in text


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=200))
def test_fuzz_any_bytes_get_an_answer(kiosk, data):
    conversation = Talk().conversation
    answer = conversation.process(data)
    assert answer.endswith(b"\r")
    parse(answer)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    command=st.sampled_from(["23", "63", "11", "09", "17", "29", "65", "35", "37", "99"]),
    tail=st.text(max_size=80).map(lambda t: t.replace("\r", "").replace("\n", "")),
)
def test_fuzz_signed_in_terminal_gets_an_answer(kiosk, patron, command, tail):
    talk = Talk()
    talk.raw(f"9300CNkiosk2|CO{kiosk[1]}|\r".encode())
    answer = talk.raw((command + tail + "\r").encode("utf-8", "replace"))
    assert answer.endswith(b"\r")
    parse(answer)


def test_what_is_answered_beside_the_other_terminals(talk, kiosk, patron):
    """Sign-ins and PINs not yet accepted on the connection go to the server's hashing
    thread; the rest of a visit does not."""

    def raw(command, fields):
        return build(Message(command, {}, fields), error_detection=False)

    conversation = talk.conversation
    assert conversation.hashes(raw("93", [("CN", "kiosk2"), ("CO", "x")]))
    talk.login("kiosk2", kiosk[1])
    with_pin = raw("63", [("AO", "calumet"), ("AA", CARD), ("AD", PIN)])
    assert conversation.hashes(with_pin)
    patron_info(talk)  # the PIN accepted
    assert not conversation.hashes(with_pin)
    assert conversation.hashes(raw("63", [("AO", "calumet"), ("AA", CARD), ("AD", "0000")]))
    assert not conversation.hashes(raw("09", [("AO", "calumet"), ("AB", "31234000000001")]))
    assert not conversation.hashes(b"63 garbage AD")


SCOPED_REQUESTS = [
    # (request as a terminal sends it, the answer's command)
    (f"01N{STAMP}AO{INSTITUTION}|ALcard left in the kiosk|AA{CARD}|AC|", "24"),  # block patron
    (f"15+{STAMP}AO{INSTITUTION}|AA{CARD}|AD{PIN}|AB31234000000001|", "16"),  # hold
    (f"19{STAMP}AO{INSTITUTION}|AB31234000000001|AC|CHproperties|", "20"),  # item status update
    (f"25{STAMP}AO{INSTITUTION}|AA{CARD}|AD{PIN}|", "26"),  # patron enable
]


@pytest.mark.parametrize(("request_text", "answer_code"), SCOPED_REQUESTS)
def test_a_message_outside_the_terminal_s_scope_gets_its_negative_answer(
    talk, kiosk, patron, item, request_text, answer_code
):
    """A kiosk allowed circulation only may not block a card, place holds, update items
    or lift blocks: refused, recorded, nothing changed, and the connection kept."""
    talk.login("kiosk2", kiosk[1])
    for _ in range(MAX_ERRORS + 1):  # not a malformed message: no resend, no disconnection
        data = talk.raw(request_text.encode() + b"\r")
        answer = parse(data)
        assert answer.command == answer_code
        assert answer.get("AF") == "This terminal may not do that."
    assert not talk.conversation.finished
    assert answer.get("AE") == ""  # nobody's name
    events = TerminalEvent.objects.filter(kind="not_allowed", message_code=request_text[:2])
    assert events.count() == MAX_ERRORS + 1
    assert not TerminalEvent.objects.filter(kind="bad_message").exists()
    assert not patron.blocks.exists()  # "block patron" blocked nothing
    assert not patron.holds.exists()
