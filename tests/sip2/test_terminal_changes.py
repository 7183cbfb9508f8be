"""What the library administrator changes on a terminal account reaches the machines
already connected with it (kiosks stay connected all day): switched off, deleted or given
a new secret, the next message is refused and the connection closed; a change to what it
may send applies to the next message."""

import pytest

from circulation.models import Loan
from sip2 import services
from sip2.models import Terminal, TerminalEvent
from tests.sip2.conftest import Talk, checkout, patron_info

pytestmark = pytest.mark.django_db


def _signed_in(talk, kiosk, patron) -> Terminal:
    terminal, secret = kiosk
    assert talk.login("kiosk2", secret).fixed["ok"] == "1"
    assert patron_info(talk).get("CQ") == "Y"
    return terminal


def _assert_signed_out(talk, item, terminal_id):
    answer = checkout(talk, item.barcode)
    assert answer.command == "12"
    assert answer.fixed["ok"] == "0"
    assert answer.get("AF") == "This terminal is signed out. Sign in again."
    assert talk.conversation.finished
    assert not Loan.objects.exists()
    event = TerminalEvent.objects.get(kind="signed_out")
    assert (event.terminal_id, event.message_code) == (terminal_id, "11")


def test_a_terminal_switched_off_stops_at_its_next_message(talk, kiosk, patron, item):
    terminal = _signed_in(talk, kiosk, patron)
    terminal.enabled = False
    services.terminal_save(terminal=terminal, actor=None)
    _assert_signed_out(talk, item, terminal.pk)


def test_a_new_secret_signs_out_the_connections_of_the_old_one(talk, kiosk, patron, item):
    terminal = _signed_in(talk, kiosk, patron)
    fresh = Terminal.objects.get(pk=terminal.pk)
    new_secret = services.terminal_save(terminal=fresh, actor=None, new_secret_wanted=True)
    _assert_signed_out(talk, item, terminal.pk)
    # The machine signs in again with the new secret, on a new connection.
    again = Talk()
    assert again.login("kiosk2", new_secret).fixed["ok"] == "1"
    assert checkout(again, item.barcode).fixed["ok"] == "0"  # (no PIN given yet on this one)


def test_a_deleted_terminal_stops_and_its_event_names_no_account(talk, kiosk, patron, item):
    terminal = _signed_in(talk, kiosk, patron)
    Terminal.objects.filter(pk=terminal.pk).delete()
    _assert_signed_out(talk, item, None)


def test_what_it_may_send_applies_to_the_next_message(talk, kiosk, patron, item):
    terminal = _signed_in(talk, kiosk, patron)
    fresh = Terminal.objects.get(pk=terminal.pk)
    fresh.may_circulate = False
    services.terminal_save(terminal=fresh, actor=None)
    answer = checkout(talk, item.barcode)
    assert answer.fixed["ok"] == "0"
    assert answer.get("AF") == "This terminal may not do that."
    assert not talk.conversation.finished  # still signed in: it may do the rest
    assert patron_info(talk).get("BL") == "Y"
    assert not Loan.objects.exists()


def test_a_change_of_name_or_branch_does_not_sign_it_out(talk, kiosk, patron, item):
    terminal = _signed_in(talk, kiosk, patron)
    fresh = Terminal.objects.get(pk=terminal.pk)
    fresh.name = "Self-check kiosk 2 (by the door)"
    services.terminal_save(terminal=fresh, actor=None)
    assert checkout(talk, item.barcode).fixed["ok"] == "1"
    assert not TerminalEvent.objects.filter(kind="signed_out").exists()
