"""Every SIP2 message as a terminal sends it, through the server's protocol state
(`Conversation`), against the real services and database."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from circulation.models import Fine, FinePayment, Loan
from patrons.models import Patron
from sip2.models import TerminalEvent
from tests.factories import FineFactory, HoldFactory, ItemFactory, LoanFactory, PatronBlockFactory
from tests.sip2.conftest import (
    CARD,
    INSTITUTION,
    PIN,
    STAMP,
    checkin,
    checkout,
    make_terminal,
    patron_info,
)

pytestmark = pytest.mark.django_db


def test_login_with_the_generated_secret(talk, kiosk):
    terminal, secret = kiosk
    assert talk.login("kiosk2", secret).fixed["ok"] == "1"
    assert TerminalEvent.objects.filter(terminal=terminal, kind="login").count() == 1


def test_login_refused_with_a_wrong_secret_and_recorded(talk, kiosk):
    assert talk.login("kiosk2", "guess").fixed["ok"] == "0"
    assert talk.login("nobody", "guess").fixed["ok"] == "0"
    assert TerminalEvent.objects.filter(kind="login_refused").count() == 2


def test_three_failed_logins_close_the_connection(talk, kiosk):
    for _ in range(3):
        talk.login("kiosk2", "guess")
    assert talk.conversation.finished


def test_disabled_terminal_cannot_sign_in(talk, kiosk):
    terminal, secret = kiosk
    terminal.enabled = False
    terminal.save()
    assert talk.login("kiosk2", secret).fixed["ok"] == "0"


def test_nothing_before_login(talk, kiosk, patron):
    answer = patron_info(talk)
    assert answer.command == "64"
    assert answer.get("BL") == "N"
    assert answer.get("AE") == ""
    assert TerminalEvent.objects.filter(kind="not_signed_in", message_code="63").exists()


def test_status_supported_messages_are_truthful(talk, kiosk, pc_reservation, sorter):
    talk.login("kiosk2", kiosk[1])
    answer = talk.send(
        "99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"}
    )
    assert answer.command == "98"
    assert answer.fixed["online_status"] == "Y"
    assert answer.fixed["protocol_version"] == "2.00"
    assert answer.get("AO") == INSTITUTION
    #      23 11 09 01 99 97 93 63 35 37 17 19 25 15 29 65
    assert answer.get("BX") == "YYYNYYYYYNYNNNYY"

    other = type(talk)()
    other.login("pcres", pc_reservation[1])
    answer = other.send(
        "99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"}
    )
    assert answer.get("BX") == "YNNNYYYYYNNNNNNN"
    assert answer.fixed["checkout_ok"] == "N"

    sorter_talk = type(talk)()
    sorter_talk.login("sorter", sorter[1])
    answer = sorter_talk.send(
        "99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"}
    )
    assert answer.get("BX") == "NNYNYYYNNNYNNNNN"


def test_patron_information_with_pin(talk, kiosk, patron, branch):
    talk.login("kiosk2", kiosk[1])
    LoanFactory(patron=patron, item=ItemFactory(branch=branch, barcode="39990001"))
    LoanFactory(
        patron=patron,
        item=ItemFactory(branch=branch, barcode="39990002"),
        checked_out_at=timezone.now() - datetime.timedelta(days=40),
        due_at=timezone.now() - datetime.timedelta(days=5),
    )
    FineFactory(patron=patron, amount=Decimal("1.25"))
    HoldFactory(patron=patron, pickup_branch=branch)
    answer = patron_info(talk, summary="  Y       ")
    assert answer.command == "64"
    assert answer.get("BL") == "Y"
    assert answer.get("CQ") == "Y"
    assert answer.get("AE") == "Ada L."
    assert answer.fixed["charged_items_count"] == "0002"
    assert answer.fixed["overdue_items_count"] == "0001"
    assert answer.fixed["fine_items_count"] == "0001"
    assert answer.fixed["unavailable_holds_count"] == "0001"
    assert answer.get("BV") == "1.25"
    assert sorted(answer.get_all("AU")) == ["39990001", "39990002"]
    # Never contact details or a birth date, never a title unless the library allows it.
    for field_id in ("BD", "BE", "BF", "PB"):
        assert not answer.has(field_id)
    assert "Treatise" not in str(answer.fields)
    assert "Lovelace" not in str(answer.fields)


def test_patron_status(talk, pc_reservation, patron):
    talk.login("pcres", pc_reservation[1])
    answer = talk.send(
        "23",
        {"language": "001", "transaction_date": STAMP},
        [("AO", INSTITUTION), ("AA", CARD), ("AC", ""), ("AD", PIN)],
    )
    assert answer.command == "24"
    assert answer.get("BL") == "Y"
    assert answer.get("CQ") == "Y"
    assert answer.fixed["patron_status"] == " " * 14
    assert answer.get("AE") == "Ada L."


def test_patron_status_of_a_blocked_patron(talk, pc_reservation, patron):
    PatronBlockFactory(patron=patron)
    talk.login("pcres", pc_reservation[1])
    answer = talk.send(
        "23",
        {"language": "001", "transaction_date": STAMP},
        [("AO", INSTITUTION), ("AA", CARD), ("AD", PIN)],
    )
    assert answer.fixed["patron_status"][0] == "Y"


def test_unknown_card(talk, pc_reservation, patron):
    talk.login("pcres", pc_reservation[1])
    answer = patron_info(talk, card="29999999999999")
    assert answer.get("BL") == "N"
    assert answer.get("CQ") == "N"


def test_pc_reservation_may_not_check_out(talk, pc_reservation, patron, item):
    talk.login("pcres", pc_reservation[1])
    answer = checkout(talk, item.barcode, pin=PIN)
    assert answer.command == "12"
    assert answer.fixed["ok"] == "0"
    assert not Loan.objects.exists()
    assert TerminalEvent.objects.filter(kind="not_allowed", message_code="11").exists()


def test_wrong_institution_is_refused(talk, kiosk, patron):
    talk.login("kiosk2", kiosk[1])
    answer = talk.send(
        "63",
        {"language": "001", "transaction_date": STAMP, "summary": " " * 10},
        [("AO", "elsewhere"), ("AA", CARD), ("AD", PIN)],
    )
    assert answer.get("BL") == "N"
    assert TerminalEvent.objects.filter(kind="institution").exists()


def test_checkout_needs_the_pin(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    answer = checkout(talk, item.barcode)
    assert answer.fixed["ok"] == "0"
    assert answer.get("AF") == "Please enter your PIN."
    assert not Loan.objects.exists()


def test_checkout_after_pin_and_access_entry(talk, kiosk, patron, item, branch):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    answer = checkout(talk, item.barcode)
    assert answer.command == "12"
    assert answer.fixed["ok"] == "1"
    assert answer.fixed["desensitize"] == "Y"
    loan = Loan.objects.get()
    assert loan.patron == patron and loan.branch == branch
    assert answer.get("AH").startswith(timezone.localtime(loan.due_at).strftime("%Y%m%d"))
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, additional_data__page="sip2:checkout"
    ).exists()


def test_checkout_refusal_is_the_desk_s(talk, kiosk, patron, item):
    PatronBlockFactory(patron=patron)
    talk.login("kiosk2", kiosk[1])
    answer = checkout(talk, item.barcode, pin=PIN)
    assert answer.fixed["ok"] == "0"
    assert "suspended" in answer.get("AF")
    assert not Loan.objects.exists()


def test_checkout_of_an_item_already_out_to_the_patron_renews(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    checkout(talk, item.barcode)
    _checked_out_days_ago()
    answer = checkout(talk, item.barcode)
    assert answer.fixed["ok"] == "1" and answer.fixed["renewal_ok"] == "Y"
    assert Loan.objects.get().renewals == 1


def test_checkin_of_an_item_not_on_loan(talk, sorter, item):
    talk.login("sorter", sorter[1])
    answer = checkin(talk, item.barcode)
    assert answer.fixed["ok"] == "0"
    assert answer.get("AF") == "This item is not checked out."


def test_sorter_may_only_check_in(talk, sorter, patron, item):
    talk.login("sorter", sorter[1])
    assert checkout(talk, item.barcode, pin=PIN).fixed["ok"] == "0"
    assert patron_info(talk).get("BL") == "N"


def test_item_information(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    answer = talk.send(
        "17", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AB", item.barcode)]
    )
    assert answer.command == "18"
    assert answer.fixed["circulation_status"] == "03"
    assert answer.get("AQ") == "main"
    patron_info(talk)
    checkout(talk, item.barcode)
    answer = talk.send(
        "17", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AB", item.barcode)]
    )
    assert answer.fixed["circulation_status"] == "04"
    assert answer.has("AH")
    assert not answer.has("AA")


def test_renew(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    checkout(talk, item.barcode)
    _checked_out_days_ago()
    answer = talk.send(
        "29",
        {"third_party_allowed": "N", "no_block": "N", "transaction_date": STAMP, "nb_due_date": ""},
        [("AO", INSTITUTION), ("AA", CARD), ("AB", item.barcode)],
    )
    assert answer.command == "30"
    assert answer.fixed["ok"] == "1"
    assert Loan.objects.get().renewals == 1


def test_a_renewal_that_would_not_move_the_due_date_is_refused(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    checkout(talk, item.barcode)
    answer = talk.send(
        "29",
        {"third_party_allowed": "N", "no_block": "N", "transaction_date": STAMP, "nb_due_date": ""},
        [("AO", INSTITUTION), ("AA", CARD), ("AB", item.barcode)],
    )
    assert answer.fixed["ok"] == "0"
    assert answer.get("AF")
    assert Loan.objects.get().renewals == 0


def test_renew_another_patrons_item_is_refused(talk, kiosk, patron, branch):
    other_loan = LoanFactory(item=ItemFactory(branch=branch, barcode="39990009"))
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    answer = talk.send(
        "29",
        {"third_party_allowed": "N", "no_block": "N", "transaction_date": STAMP, "nb_due_date": ""},
        [("AO", INSTITUTION), ("AA", CARD), ("AB", "39990009")],
    )
    assert answer.fixed["ok"] == "0"
    other_loan.refresh_from_db()
    assert other_loan.renewals == 0


def test_renew_all(talk, kiosk, patron, branch):
    for n in range(2):
        LoanFactory(patron=patron, item=ItemFactory(branch=branch, barcode=f"3999010{n}"))
    talk.login("kiosk2", kiosk[1])
    answer = talk.send(
        "65", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AA", CARD), ("AD", PIN)]
    )
    assert answer.command == "66"
    assert answer.fixed["renewed_count"] == "0002"
    assert sorted(answer.get_all("BM")) == ["39990100", "39990101"]


def test_end_session_forgets_the_patron(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    answer = talk.send("35", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AA", CARD)])
    assert answer.command == "36" and answer.fixed["end_session"] == "Y"
    assert checkout(talk, item.barcode).fixed["ok"] == "0"


def test_the_same_pin_again_in_a_session_is_not_hashed_again(
    talk, kiosk, patron, item, monkeypatch
):
    """A kiosk that sends the PIN with every message waits for its hash only once; a
    different PIN is checked in full, refused, and ends the patron's session."""
    talk.login("kiosk2", kiosk[1])
    checks = []
    real = Patron.check_pin
    monkeypatch.setattr(Patron, "check_pin", lambda self, pin: checks.append(1) or real(self, pin))
    assert patron_info(talk).get("CQ") == "Y"
    assert patron_info(talk).get("CQ") == "Y"
    assert checkout(talk, item.barcode, pin=PIN).fixed["ok"] == "1"
    assert len(checks) == 1
    answer = patron_info(talk, pin="0000")
    assert answer.get("CQ") == "N" and answer.get("AE") == ""
    assert len(checks) == 2
    assert checkout(talk, item.barcode).fixed["ok"] == "0"  # no patron until a right PIN
    talk.send("35", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AA", CARD)])
    assert patron_info(talk).get("CQ") == "Y"
    assert len(checks) == 3  # after end session the PIN is checked against its hash again


def test_fee_paid_only_for_terminals_that_take_payments(talk, kiosk, patron, branch):
    FineFactory(patron=patron, amount=Decimal("2.00"))
    FineFactory(patron=patron, amount=Decimal("1.00"))
    fields = [("BV", "2.50"), ("AO", INSTITUTION), ("AA", CARD), ("AD", PIN), ("BK", "tx9")]
    fixed = {
        "transaction_date": STAMP,
        "fee_type": "01",
        "payment_type": "00",
        "currency_type": "USD",
    }
    talk.login("kiosk2", kiosk[1])
    assert talk.send("37", fixed, fields).fixed["payment_accepted"] == "N"
    _, secret = make_terminal(branch, "Pay kiosk", "paykiosk", may_pay=True)
    talk.login("paykiosk", secret)
    answer = talk.send("37", fixed, fields)
    assert answer.command == "38"
    assert answer.fixed["payment_accepted"] == "Y"
    assert answer.get("BK") == "tx9"
    assert sum(f.amount_paid for f in Fine.objects.all()) == Decimal("2.50")
    # Recorded like a payment at the desk: one receipt, its method, the kiosk's branch.
    payments = list(FinePayment.objects.all())
    assert {(p.method, p.branch_id, p.taken_by_id) for p in payments} == {("cash", branch.pk, None)}
    assert len({p.number for p in payments}) == 1 and sum(p.amount for p in payments) == Decimal(
        "2.50"
    )
    assert f"Receipt {payments[0].number}." in answer.get("AF")
    # More than is owed: refused, nothing paid.
    answer = talk.send("37", fixed, [("BV", "9.00"), *fields[1:]])
    assert answer.fixed["payment_accepted"] == "N"
    assert sum(f.amount_paid for f in Fine.objects.all()) == Decimal("2.50")
    # A payment type the library does not take (a check): refused, nothing paid.
    answer = talk.send("37", {**fixed, "payment_type": "05"}, [("BV", "0.25"), *fields[1:]])
    assert answer.fixed["payment_accepted"] == "N"
    assert "cash or card" in answer.get("AF")
    assert FinePayment.objects.count() == len(payments)


def test_circulation_refusals_are_recorded_without_patron_data(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    checkout(talk, item.barcode)
    event = TerminalEvent.objects.get(kind="refused")
    assert event.message_code == "11"
    assert event.terminal == kiosk[0]


def _checked_out_days_ago(days: int = 10) -> None:
    """Move the loan back in time: a renewal must move the due date to count."""
    now = timezone.now()
    Loan.objects.update(
        checked_out_at=now - datetime.timedelta(days=days),
        due_at=now + datetime.timedelta(days=2),
    )
