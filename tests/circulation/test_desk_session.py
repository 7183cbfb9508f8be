"""The desk forgets the patron it served: at "Done — next patron", after the idle time, at
sign-out, and when another patron is served. Check-in lines never say whose hold a copy
fills, and check-in and renew write access entries for the loan's patron."""

import datetime
import json
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from circulation.desk.scanning import SESSION_KEY
from circulation.models import Hold, Loan
from tests.circulation.test_desk import (
    CHECKIN,
    CHECKOUT,
    PAYMENT,
    RENEW,
    desk_lines,
    get,
    post,
    shows,
    visible_text,
)
from tests.factories import (
    CardFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    PatronFactory,
    TitleFactory,
)
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

PATRON_PAGES = {"Check out": CHECKOUT, "Renew": RENEW, "Take payment": PAYMENT}


def stored_sessions() -> str:
    """Every stored session, decoded, as one string."""
    return json.dumps([row.get_decoded() for row in Session.objects.all()], default=str)


def serve_everywhere(desk, card, branch, lend) -> dict:
    """A patron served at check-out (two items), renew (one loan) and payment."""
    title = TitleFactory(title="The Confidential Agent")
    item = ItemFactory(branch=branch, title=title)
    loan = lend(card.patron, title=TitleFactory(title="A Private Life"))
    FineFactory(patron=card.patron)
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode})
    post(desk, RENEW, {"action": "item", "barcode": loan.item.barcode})
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    return {"item": item, "loan": loan}


def shows_patron(html: str, card) -> bool:
    text = visible_text(html)
    return (
        card.patron.last_name in text
        or card.masked_number in text
        or "The Confidential Agent" in text
        or "A Private Life" in text
    )


def assert_forgotten(desk, card, served):
    for url in PATRON_PAGES.values():
        page = get(desk, url)
        assert not shows_patron(page, card), url
        assert desk_lines(page) == []
    assert shows(get(desk, CHECKOUT), "Scan the patron's card")
    for page in ("checkout", "renew", "payment"):
        assert f"{SESSION_KEY}.{page}" not in desk.session
    stored = stored_sessions()
    for value in (card.number, served["item"].barcode, served["loan"].item.barcode):
        assert value not in stored
    assert desk.session[SESSION_KEY]["branch_id"]  # the branch is not patron data: it stays


# -- Done — next patron -------------------------------------------------------------------------


@pytest.mark.parametrize("url", PATRON_PAGES.values(), ids=PATRON_PAGES.keys())
def test_done_on_any_patron_page_forgets_the_patron_on_every_page(desk, card, branch, lend, url):
    served = serve_everywhere(desk, card, branch, lend)
    page = get(desk, url)
    assert shows_patron(page, card) or desk_lines(page)
    assert shows(page, "Done — next patron")

    post(desk, url, {"action": "done"})

    assert shows(get(desk, url), "Done. Ready for the next patron.")
    assert_forgotten(desk, card, served)


def test_reloading_the_page_after_done_shows_nothing_of_the_patron(desk, card, branch, lend):
    serve_everywhere(desk, card, branch, lend)
    before = get(desk, CHECKOUT)
    assert "The Confidential Agent" in before and card.patron.last_name in before
    post(desk, CHECKOUT, {"action": "done"})
    for _ in range(2):
        page = get(desk, CHECKOUT)
        assert not shows_patron(page, card)


def test_after_done_a_scan_needs_a_new_card_and_lends_nothing(desk, card, branch):
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    post(desk, CHECKOUT, {"action": "done"})
    item = ItemFactory(branch=branch)
    post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode})
    assert shows(get(desk, CHECKOUT), "Scan the patron's card first.")
    assert not Loan.objects.filter(item=item).exists()


def test_desk_pages_are_never_kept_by_the_browser(desk, card):
    """The back button must not bring a previous patron's page back from a cache."""
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    for url in (CHECKOUT, CHECKIN, RENEW, PAYMENT):
        assert "no-store" in desk.get(url)["Cache-Control"]


def test_serving_another_card_ends_the_previous_patrons_transaction_elsewhere(
    desk, card, branch, lend
):
    serve_everywhere(desk, card, branch, lend)
    other_card = CardFactory(patron=PatronFactory(last_name="Someone-Else"))
    post(desk, CHECKOUT, {"action": "card", "card_number": other_card.number})
    assert "Someone-Else" in get(desk, CHECKOUT)
    assert not shows_patron(get(desk, PAYMENT), card)
    assert desk_lines(get(desk, RENEW)) == []


# -- the idle time ------------------------------------------------------------------------------


def later(minutes: float):
    moment = timezone.now() + datetime.timedelta(minutes=minutes)
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_the_desk_forgets_the_patron_after_the_idle_time(desk, card, branch, lend, settings):
    settings.CALUMET_DESK_IDLE_MINUTES = 5
    served = serve_everywhere(desk, card, branch, lend)
    with later(4):
        assert shows_patron(get(desk, CHECKOUT), card)  # looking is not activity...
    with later(5.5):
        assert not shows_patron(get(desk, CHECKOUT), card)  # ...so 5 minutes after the scan
    assert_forgotten(desk, card, served)


def test_each_scan_starts_the_idle_time_again(desk, card, branch, settings):
    settings.CALUMET_DESK_IDLE_MINUTES = 10
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    with later(8):
        post(desk, CHECKOUT, {"action": "item", "barcode": ItemFactory(branch=branch).barcode})
    with later(16):
        assert shows_patron(get(desk, CHECKOUT), card)
    with later(18.5):
        assert not shows_patron(get(desk, CHECKOUT), card)


def test_a_scan_after_the_idle_time_lends_nothing(desk, card, branch):
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    item = ItemFactory(branch=branch)
    with later(11):
        post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode})
        assert shows(get(desk, CHECKOUT), "Scan the patron's card first.")
    assert not Loan.objects.filter(item=item).exists()


def test_a_payment_after_the_idle_time_is_refused(desk, card):
    fine = FineFactory(patron=card.patron)
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    with later(11):
        post(desk, PAYMENT, {"action": "pay", "fine": fine.pk, "amount": "1.00", "method": "cash"})
        assert shows(get(desk, PAYMENT), "Scan the patron's card first.")
    fine.refresh_from_db()
    assert fine.amount_paid == 0


def test_check_in_lines_are_forgotten_after_the_idle_time(desk, card, branch, lend):
    loan = lend(card.patron)
    post(desk, CHECKIN, {"action": "item", "barcode": loan.item.barcode})
    assert desk_lines(get(desk, CHECKIN))
    with later(11):
        assert desk_lines(get(desk, CHECKIN)) == []
    assert loan.item.barcode not in stored_sessions()


def test_the_idle_time_is_shown_beside_done(desk, card, settings):
    settings.CALUMET_DESK_IDLE_MINUTES = 7
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    assert shows(get(desk, CHECKOUT), "forgets this patron 7 minutes after the last scan")


# -- sign-out -------------------------------------------------------------------------------------


def test_signing_out_forgets_the_patron(desk, clerk, card, branch, lend):
    served = serve_everywhere(desk, card, branch, lend)
    old_key = desk.session.session_key
    response = desk.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert not Session.objects.filter(session_key=old_key).exists()
    stored = stored_sessions()
    for value in (card.number, served["item"].barcode, f'"card": {card.pk}'):
        assert value not in stored
    assert SESSION_KEY not in desk.session
    # Signed in again, the desk starts empty.
    again = signed_in(clerk)
    assert not shows_patron(get(again, CHECKOUT), card)
    assert not shows_patron(get(again, PAYMENT), card)


# -- check-in lines and access entries ----------------------------------------------------------


def access_entries(page: str, patron) -> LogEntry:
    return LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        additional_data__page=page,
        additional_data__patron=patron.pk,
    )


@pytest.mark.parametrize("pickup", ["here", "elsewhere"])
def test_a_check_in_line_says_a_patron_wants_it_but_not_who(
    desk, card, branch, other_branch, lend, pickup
):
    borrower = PatronFactory()
    loan = lend(borrower)
    pickup_branch = branch if pickup == "here" else other_branch
    hold = HoldFactory(title=loan.item.title, patron=card.patron, pickup_branch=pickup_branch)
    post(desk, CHECKIN, {"action": "item", "barcode": loan.item.barcode})

    page = get(desk, CHECKIN)
    ((result, barcode, text),) = desk_lines(page)
    assert result == "ok" and barcode == loan.item.barcode
    if pickup == "here":
        assert text == "returned, on hold for a patron — put it on the hold shelf"
    else:
        assert text == "returned, on hold for a patron at East Side Branch — send it there"
    hold.refresh_from_db()
    assert hold.status == (Hold.Status.WAITING if pickup == "here" else Hold.Status.IN_TRANSIT)
    shown = visible_text(page)
    for secret in (card.masked_number, card.number, card.patron.last_name):
        assert secret not in shown
    assert card.number not in json.dumps(dict(desk.session.items()), default=str)
    # The loan's patron was served (their loan closed): opened. The hold's patron was not
    # shown, so no entry names them.
    assert (
        access_entries("desk:checkin", borrower).filter(additional_data__access="opened").exists()
    )
    assert not access_entries("desk:checkin", card.patron).exists()


def test_a_renewal_writes_an_access_entry_for_the_loans_patron(desk, card, lend):
    loan = lend(card.patron)
    post(desk, RENEW, {"action": "item", "barcode": loan.item.barcode})
    assert desk_lines(get(desk, RENEW))[0][0] == "ok"
    assert (
        access_entries("desk:renew", card.patron)
        .filter(additional_data__access="opened", additional_data__kinds__loan=1)
        .exists()
    )


def test_a_refused_renewal_writes_an_access_entry_too(desk, card, lend):
    """The refusal tells how this patron's loan stands (say, someone else wants it)."""
    loan = lend(card.patron)
    HoldFactory(title=loan.item.title)
    post(desk, RENEW, {"action": "item", "barcode": loan.item.barcode})
    assert desk_lines(get(desk, RENEW))[0][0] == "refused"
    assert access_entries("desk:renew", card.patron).exists()


def test_the_hold_shelf_lists_its_patrons_as_listed_not_opened(desk, card, branch):
    HoldFactory(waiting=True, patron=card.patron, pickup_branch=branch)
    get(desk, reverse("admin:circulation_hold_shelf"))
    entries = access_entries("desk:hold_shelf", card.patron)
    assert entries.filter(additional_data__kinds__hold=1, additional_data__access="listed").exists()
    assert not entries.filter(additional_data__access="opened").exists()


def test_what_an_earlier_version_kept_beside_the_branch_is_dropped(desk, card, branch):
    """Sessions saved before this change held the card id and lines beside the branch."""
    session = desk.session
    session[SESSION_KEY] = {
        "branch_id": branch.pk,
        "branch_name": branch.name,
        "checkout_card_id": card.pk,
        "checkout_lines": [{"barcode": "31234000000001", "ok": True, "text": "due Mon"}],
    }
    session.save()
    assert not shows_patron(get(desk, CHECKOUT), card)
    assert desk.session[SESSION_KEY] == {"branch_id": branch.pk, "branch_name": branch.name}
    assert "31234000000001" not in stored_sessions()
