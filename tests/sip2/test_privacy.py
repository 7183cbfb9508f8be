"""What SIP2 answers say about patrons: names per setting, no titles by default, nothing
before the PIN, nothing about the previous borrower, the portal's PIN lockout, and the
access entries attributed to the terminal."""

import datetime

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circulation.models import Hold, Item, Loan
from patrons.models import Card
from sip2.models import TerminalEvent
from tests.factories import CardFactory, HoldFactory, LoanFactory
from tests.sip2.conftest import CARD, INSTITUTION, PIN, STAMP, Talk, checkin, checkout, patron_info

pytestmark = pytest.mark.django_db


def test_patron_name_setting(talk, kiosk, patron, settings):
    talk.login("kiosk2", kiosk[1])
    settings.CALUMET_SIP2_PATRON_NAME = "full"
    assert patron_info(talk).get("AE") == "Ada Lovelace"
    settings.CALUMET_SIP2_PATRON_NAME = "none"
    assert patron_info(talk).get("AE") == ""


def test_titles_only_when_allowed(talk, kiosk, patron, item, settings):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    assert checkout(talk, item.barcode).get("AJ") == item.barcode
    checkin(talk, item.barcode)
    settings.CALUMET_SIP2_TITLES = True
    assert checkout(talk, item.barcode).get("AJ") == "Secret Diaries"


def test_wrong_pin_tells_nothing_and_counts_towards_the_portal_lockout(talk, kiosk, patron):
    talk.login("kiosk2", kiosk[1])
    answer = patron_info(talk, pin="0000", summary="  Y       ")
    assert answer.get("CQ") == "N"
    assert answer.get("AE") == ""
    assert answer.fixed["charged_items_count"] == "    "
    assert not answer.has("AU")
    assert AccessAttempt.objects.count() == 1
    assert CARD not in str(list(AccessAttempt.objects.values()))


def test_pin_lockout_is_shared_with_the_portal(talk, kiosk, patron, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    talk.login("kiosk2", kiosk[1])
    for _ in range(3):
        patron_info(talk, pin="0000")
    # The right PIN is refused now, at the kiosk and on the portal.
    answer = patron_info(talk, pin=PIN)
    assert answer.get("CQ") == "N"
    assert "Too many" in answer.get("AF")
    assert TerminalEvent.objects.filter(kind="pin_locked").exists()
    response = client.post("/portal/login/", {"card_number": CARD, "pin": PIN})
    assert response.status_code == 429


def test_checkin_never_names_the_borrower_or_the_hold_patron(talk, sorter, patron, item, branch):
    LoanFactory(patron=patron, item=item)
    Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_LOAN)
    other = HoldFactory(title=item.title, pickup_branch=branch)
    talk.login("sorter", sorter[1])
    answer = checkin(talk, item.barcode)
    assert answer.command == "10"
    assert answer.fixed["ok"] == "1"
    assert answer.fixed["alert"] == "Y"
    assert answer.get("CT") == "main"
    assert not answer.has("AA")
    text = str(answer.fields)
    for secret in (CARD, "Ada", "Lovelace", other.patron.first_name, other.patron.last_name):
        assert secret not in text
    assert other.patron.cards.first() is None or other.patron.cards.first().number not in text
    assert Loan.objects.get().returned_at is not None
    assert Hold.objects.get().status == Hold.Status.WAITING


def test_access_entries_for_patron_information(talk, kiosk, patron):
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    entry = LogEntry.objects.filter(additional_data__page="sip2:patron_information").first()
    assert entry is not None
    assert entry.additional_data["patron"] == patron.pk


def test_a_kiosk_asking_again_writes_one_entry_per_repeat_window(talk, kiosk, patron, settings):
    """A kiosk refreshes the patron's screen every few seconds: one entry per window, and
    the connection remembers the entry it wrote instead of asking the database again.
    Another connection of the same terminal finds it in the database; after the window,
    a new entry is written."""
    settings.CALUMET_AUDIT_REPEAT_MINUTES = 5
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    with CaptureQueriesContext(connection) as first_again:
        patron_info(talk)
    entries = LogEntry.objects.filter(additional_data__page="sip2:patron_information")
    assert entries.count() == 1
    assert not any("auditlog_logentry" in q["sql"] for q in first_again.captured_queries)

    other = Talk(address="192.0.2.11")  # the same kiosk after a reconnection
    other.login("kiosk2", kiosk[1])
    patron_info(other)
    assert entries.count() == 1

    entries.update(timestamp=timezone.now() - datetime.timedelta(minutes=6))
    for key in list(talk.conversation.session.logged):
        talk.conversation.session.logged[key] -= datetime.timedelta(minutes=6)
    patron_info(talk)
    assert entries.count() == 2

    # The connection keeps patron ids only while the window needs them, and forgets
    # them when the patron's visit ends.
    assert list(talk.conversation.session.logged) == [
        (patron.pk, "sip2:patron_information", "opened")
    ]
    talk.send("35", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AA", CARD)])
    assert talk.conversation.session.logged == {}


def test_who_has_looked_names_the_terminal(talk, kiosk, patron, client):
    """The patron's page names the terminal that read their record, not a person."""
    talk.login("kiosk2", kiosk[1])
    patron_info(talk)
    client.post("/portal/login/", {"card_number": CARD, "pin": PIN})
    page = client.get("/portal/access/").content.decode()
    assert "Self-check kiosk 2, Main" in page


def test_wrong_pins_at_one_kiosk_lock_those_cards_not_the_kiosk(talk, kiosk, patron, settings):
    """A kiosk speaks for every patron at the branch: a few patrons' typos lock their own
    cards (shared with the portal, per card), never everyone else at that kiosk."""
    settings.AXES_FAILURE_LIMIT = 3
    talk.login("kiosk2", kiosk[1])
    for n in range(3):
        CardFactory(number=f"2123456789100{n}")
        patron_info(talk, card=f"2123456789100{n}", pin="0000")
    assert patron_info(talk).get("CQ") == "Y"  # another patron at the same kiosk
    for _ in range(2):
        patron_info(talk, card="21234567891000", pin="0000")
    assert patron_info(talk, card="21234567891000", pin=PIN).get("CQ") == "N"  # that card


def test_a_lost_card_is_flagged(talk, pc_reservation, patron):
    Card.objects.filter(number=CARD).update(status=Card.Status.LOST)
    talk.login("pcres", pc_reservation[1])
    answer = patron_info(talk)
    assert answer.get("BL") == "N"
    assert answer.fixed["patron_status"][4] == "Y"
    assert answer.fixed["patron_status"][0] == "Y"
    assert answer.get("AE") == ""
