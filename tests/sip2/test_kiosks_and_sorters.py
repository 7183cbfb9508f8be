"""What kiosks, book drops and sorters expect of SIP2: where a returned
copy goes (transit alert, destination, sort bin), the return date of a check-in, offline
check-outs, a second scan of a copy already on the card, block patron, patron enable,
hold and item status update by the terminal's scope, and the item's media type and call
number. Through the server's protocol state, against the real services and database."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from circulation.models import CirculationRule, Fine, Hold, Item, Loan
from circulation.models.transit import Transit
from patrons.models import PatronBlock
from sip2 import selectors
from sip2.codec import read_timestamp, timestamp
from sip2.models import SortBin, TerminalEvent
from tests.factories import (
    BranchFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronBlockFactory,
    PatronFactory,
)
from tests.sip2.conftest import CARD, INSTITUTION, PIN, STAMP, checkin, checkout, make_terminal

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def east(db):
    return BranchFactory(code="east", name="East Side")


@pytest.fixture
def book_rule(db):
    """Books: 21 days, 25 cents a day late after one day's grace, at most $5."""
    CirculationRule.objects.update_or_create(
        patron_category=None,
        item_type=Item.ItemType.BOOK,
        branch=None,
        defaults={
            "loan_days": 21,
            "max_renewals": 2,
            "daily_fine": Decimal("0.25"),
            "max_fine": Decimal("5.00"),
            "grace_days": 1,
        },
    )


def on_loan(patron, item, *, due_at, checked_out_at=None) -> Loan:
    Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_LOAN)
    return LoanFactory(
        patron=patron,
        item=item,
        checked_out_at=checked_out_at or due_at - 21 * DAY,
        due_at=due_at,
    )


def item_info(talk, barcode):
    return talk.send("17", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AB", barcode)])


# -- where a returned copy goes -------------------------------------------------------------------


def test_a_copy_returned_at_another_branch_is_sent_home_with_alert_and_destination(
    talk, sorter, patron, east
):
    """The sorter at Main gets an East Side copy: it must not shelve it locally."""
    SortBin.objects.create(branch=sorter[0].branch, route="transit", destination=east, bin="7")
    SortBin.objects.create(branch=sorter[0].branch, bin="1")
    item = ItemFactory(branch=east, call_number="641.5 CHI")
    on_loan(patron, item, due_at=timezone.now() + 3 * DAY)
    talk.login("sorter", sorter[1])

    answer = checkin(talk, item.barcode)

    assert answer.fixed["ok"] == "1"
    assert answer.fixed["alert"] == "Y"
    assert answer.fixed["resensitize"] == "Y"  # not for a patron: back in the collection
    assert answer.get("CV") == "04"
    assert answer.get("CT") == "east"
    assert answer.get("CL") == "7"
    assert answer.get("AF") == "Send to East Side."
    assert answer.get("CK") == "001" and answer.get("CS") == "641.5 CHI"
    assert not answer.has("AA")
    transit = Transit.objects.get(item=item)
    assert transit.to_branch == east and transit.received_on is None


def test_a_copy_returned_at_home_goes_to_the_shelving_bin_without_alert(talk, sorter, patron, item):
    SortBin.objects.create(branch=sorter[0].branch, route="transit", bin="7")
    SortBin.objects.create(branch=sorter[0].branch, route="shelve", bin="2")
    on_loan(patron, item, due_at=timezone.now() + 3 * DAY)
    talk.login("sorter", sorter[1])
    answer = checkin(talk, item.barcode)
    assert answer.fixed["alert"] == "N"
    assert not answer.has("CV") and not answer.has("CT")
    assert answer.get("CL") == "2"
    assert Item.objects.get(pk=item.pk).status == Item.Status.AVAILABLE


def test_a_copy_trapped_for_a_hold_here_still_gets_its_hold_alert_and_bin(
    talk, sorter, patron, item
):
    SortBin.objects.create(branch=sorter[0].branch, route="hold", bin="HOLDS")
    on_loan(patron, item, due_at=timezone.now() + 3 * DAY)
    HoldFactory(title=item.title, pickup_branch=sorter[0].branch)
    talk.login("sorter", sorter[1])
    answer = checkin(talk, item.barcode)
    assert (answer.get("CV"), answer.get("CT"), answer.get("CL")) == ("01", "main", "HOLDS")
    assert answer.fixed["alert"] == "Y" and answer.fixed["resensitize"] == "N"


def test_the_most_specific_sort_bin_rule_wins(branch, east):
    SortBin.objects.create(branch=branch, bin="ANY")
    SortBin.objects.create(branch=branch, item_type="dvd", bin="DISCS")
    SortBin.objects.create(branch=branch, route="transit", bin="OUT")
    SortBin.objects.create(branch=branch, route="transit", destination=east, bin="EAST")
    SortBin.objects.create(branch=east, bin="OTHER BRANCH'S")

    def bin_for(route, item_type="book", destination=None):
        return selectors.sort_bin_for(
            branch_id=branch.pk, route=route, item_type=item_type, destination_id=destination
        )

    assert bin_for("shelve") == "ANY"
    assert bin_for("shelve", "dvd") == "DISCS"
    assert bin_for("transit", "dvd", BranchFactory(code="west").pk) == "OUT"
    assert bin_for("transit", "dvd", east.pk) == "EAST"
    SortBin.objects.all().delete()
    assert bin_for("shelve") == ""  # no rule: the sorter's own default


# -- the return date of a check-in ----------------------------------------------------------------


def test_a_book_dropped_before_its_due_date_and_checked_in_later_is_not_fined(
    talk, sorter, patron, item, book_rule
):
    due = timezone.now() - 2 * DAY
    loan = on_loan(patron, item, due_at=due)
    talk.login("sorter", sorter[1])
    dropped = (due - 3 * HOUR).replace(microsecond=0)
    answer = checkin(talk, item.barcode, returned_at=dropped)
    assert answer.fixed["ok"] == "1"
    loan.refresh_from_db()
    assert loan.returned_at == dropped
    assert not Fine.objects.exists()


def test_the_return_date_counts_the_days_late_to_that_date(talk, sorter, patron, item, book_rule):
    on_loan(patron, item, due_at=timezone.now() - 5 * DAY)
    talk.login("sorter", sorter[1])
    checkin(talk, item.barcode, returned_at=timezone.now() - 2 * DAY)
    assert Fine.objects.get().amount == Decimal("0.75")  # 3 days late then, not 5


@pytest.mark.parametrize(
    ("return_date", "screen"),
    [
        ("20261345    120000", "The return date is not a date (YYYYMMDDZZZZHHMMSS)."),
        ("2026120", "The return date is not a date (YYYYMMDDZZZZHHMMSS)."),
        ("20261201 EST120000", "The return date is not a date (YYYYMMDDZZZZHHMMSS)."),
        ("future", "The return date is in the future: check the terminal's clock."),
        ("old", "The return date is more than 72 hours ago: please take the item to the desk."),
    ],
)
def test_a_check_in_with_an_impossible_return_date_is_refused_and_changes_nothing(
    talk, sorter, patron, item, return_date, screen
):
    loan = on_loan(patron, item, due_at=timezone.now() - 10 * DAY)
    if return_date == "future":
        return_date = timestamp(timezone.now() + HOUR)
    elif return_date == "old":
        return_date = timestamp(timezone.now() - 73 * HOUR)
    talk.login("sorter", sorter[1])
    answer = checkin(talk, item.barcode, return_date=return_date)
    assert answer.command == "10"
    assert answer.fixed["ok"] == "0" and answer.fixed["alert"] == "Y"
    assert answer.get("AF") == screen
    loan.refresh_from_db()
    assert loan.returned_at is None
    assert not Fine.objects.exists()
    assert Item.objects.get(pk=item.pk).status == Item.Status.ON_LOAN
    assert TerminalEvent.objects.filter(kind="refused", message_code="09").exists()


def test_a_blank_return_date_is_now_and_a_slow_clock_within_minutes_is_now(
    talk, sorter, patron, item
):
    loan = on_loan(patron, item, due_at=timezone.now() + DAY)
    talk.login("sorter", sorter[1])
    before = timezone.now()
    assert checkin(talk, item.barcode, return_date=" " * 18).fixed["ok"] == "1"
    loan.refresh_from_db()
    assert loan.returned_at >= before
    other = ItemFactory(branch=item.branch)
    second = on_loan(patron, other, due_at=timezone.now() + DAY)
    ahead = timestamp(timezone.now() + 2 * datetime.timedelta(minutes=1))
    assert checkin(talk, other.barcode, return_date=ahead).fixed["ok"] == "1"
    second.refresh_from_db()
    assert second.returned_at <= timezone.now()


def test_the_limit_on_dates_is_the_library_s(talk, sorter, patron, item, settings):
    settings.CALUMET_SIP2_OFFLINE_MAX_HOURS = 200
    on_loan(patron, item, due_at=timezone.now() + DAY)
    talk.login("sorter", sorter[1])
    answer = checkin(talk, item.barcode, returned_at=timezone.now() - 100 * HOUR)
    assert answer.fixed["ok"] == "1"


def test_read_timestamp():
    assert read_timestamp(" " * 18) is None
    local = read_timestamp("20261201    093000")
    assert timezone.localtime(local).strftime("%Y-%m-%d %H:%M") == "2026-12-01 09:30"
    utc = read_timestamp("20261201   Z093000")
    assert utc == datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
    for wrong in ("20260230    120000", "2026120x    120000", "20261201    250000", "1"):
        with pytest.raises(ValueError):
            read_timestamp(wrong)


# -- offline check-outs (no block) ----------------------------------------------------------------


def test_an_offline_check_out_is_made_at_the_time_given(talk, kiosk, patron, item, book_rule):
    talk.login("kiosk2", kiosk[1])
    then = (timezone.now() - 30 * HOUR).replace(microsecond=0)
    answer = checkout(talk, item.barcode, pin=PIN, no_block="Y", stamp=timestamp(then))
    assert answer.fixed["ok"] == "1" and answer.fixed["desensitize"] == "Y"
    loan = Loan.objects.get()
    assert loan.checked_out_at == then
    assert timezone.localdate(loan.due_at) == timezone.localdate(then + 21 * DAY)
    assert answer.get("AH") == timestamp(loan.due_at)
    # Sent again (the kiosk did not hear the answer): nothing more is done.
    again = checkout(talk, item.barcode, no_block="Y", stamp=timestamp(then))
    assert again.fixed["ok"] == "1" and again.fixed["renewal_ok"] == "N"
    assert Loan.objects.get().renewals == 0


def test_an_offline_check_out_follows_the_desk_s_rules_at_that_time(talk, kiosk, patron, item):
    """A block placed after the kiosk lent the book does not undo the loan; one in force
    then refuses it."""
    talk.login("kiosk2", kiosk[1])
    then = timezone.now() - 10 * HOUR
    PatronBlockFactory(patron=patron, starts_at=timezone.now() - HOUR)
    assert (
        checkout(talk, item.barcode, pin=PIN, no_block="Y", stamp=timestamp(then)).fixed["ok"]
        == "1"
    )
    other = ItemFactory(branch=item.branch)
    answer = checkout(talk, other.barcode, no_block="N")
    assert answer.fixed["ok"] == "0"
    assert answer.get("AF").startswith("Borrowing is suspended")


@pytest.mark.parametrize(
    ("stamp", "screen"),
    [
        ("2026AB01    120000", "The check-out date is not a date (YYYYMMDDZZZZHHMMSS)."),
        ("old", "The check-out date is more than 72 hours ago: please take the item to the desk."),
        ("future", "The check-out date is in the future: check the terminal's clock."),
    ],
)
def test_an_offline_check_out_outside_the_limit_is_refused(
    talk, kiosk, patron, item, stamp, screen
):
    if stamp == "old":
        stamp = timestamp(timezone.now() - 80 * HOUR)
    elif stamp == "future":
        stamp = timestamp(timezone.now() + DAY)
    talk.login("kiosk2", kiosk[1])
    answer = checkout(talk, item.barcode, pin=PIN, no_block="Y", stamp=stamp)
    assert answer.fixed["ok"] == "0" and answer.fixed["desensitize"] == "N"
    assert answer.get("AF") == screen
    assert not Loan.objects.exists()


def test_an_online_check_out_ignores_the_kiosk_s_clock(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    answer = checkout(talk, item.barcode, pin=PIN, stamp="19990101    000000")
    assert answer.fixed["ok"] == "1"
    assert Loan.objects.get().checked_out_at > timezone.now() - HOUR


# -- a second scan of a copy already on the card --------------------------------------------------


def test_a_second_scan_answers_ok_with_the_due_date_and_unlocks_the_copy(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    first = checkout(talk, item.barcode, pin=PIN)
    second = checkout(talk, item.barcode)
    assert second.fixed["ok"] == "1"
    assert second.fixed["desensitize"] == "Y"
    assert second.fixed["renewal_ok"] == "N"  # renewing today would not move the due date
    assert second.get("AH") == first.get("AH")
    assert second.get("AF").startswith("Already checked out to you, due ")
    assert Loan.objects.get().renewals == 0


def test_a_second_scan_by_a_blocked_patron_still_unlocks_their_own_copy(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    checkout(talk, item.barcode, pin=PIN)
    PatronBlockFactory(patron=patron)
    answer = checkout(talk, item.barcode)
    assert answer.fixed["ok"] == "1" and answer.fixed["desensitize"] == "Y"
    assert "Not renewed: Borrowing is suspended for this card." in answer.get("AF")


def test_a_second_scan_renews_where_the_rules_allow(talk, kiosk, patron, item):
    talk.login("kiosk2", kiosk[1])
    checkout(talk, item.barcode, pin=PIN)
    Loan.objects.update(checked_out_at=timezone.now() - 10 * DAY, due_at=timezone.now() + 2 * DAY)
    answer = checkout(talk, item.barcode)
    assert answer.fixed["ok"] == "1" and answer.fixed["renewal_ok"] == "Y"
    assert answer.get("AF").startswith("Renewed, due ")
    assert Loan.objects.get().renewals == 1


def test_another_patron_s_copy_is_still_refused(talk, kiosk, patron, item):
    on_loan(PatronFactory(), item, due_at=timezone.now() + DAY)
    talk.login("kiosk2", kiosk[1])
    answer = checkout(talk, item.barcode, pin=PIN)
    assert answer.fixed["ok"] == "0" and answer.fixed["desensitize"] == "N"


# -- block patron (01) and patron enable (25) -----------------------------------------------------


@pytest.fixture
def guard(branch):
    """A kiosk allowed circulation, and to block cards and lift those blocks."""
    return make_terminal(
        branch, "Self-check kiosk 3", "kiosk3", may_patron=True, may_circulate=True, may_block=True
    )


def block(talk, card=CARD, message="Card left in the kiosk"):
    return talk.send(
        "01", {"card_retained": "Y", "transaction_date": STAMP},
        [("AO", INSTITUTION), ("AL", message), ("AA", card), ("AC", "")],
    )  # fmt: skip


def enable(talk, card=CARD, pin=PIN):
    fields = [("AO", INSTITUTION), ("AA", card), ("AC", "")]
    if pin is not None:
        fields.append(("AD", pin))
    return talk.send("25", {"transaction_date": STAMP}, fields)


def test_block_patron_blocks_the_card_once_and_says_nothing_of_the_patron(
    talk, guard, patron, item
):
    talk.login("kiosk3", guard[1])
    answer = block(talk)
    assert answer.command == "24"
    assert answer.fixed["patron_status"][:4] == "YY Y"  # charge, renewal, hold denied
    assert answer.get("AE") == ""
    assert answer.get("AF") == "This card is blocked. Please ask at the desk."
    placed = PatronBlock.objects.get()
    assert placed.patron == patron and placed.reason == PatronBlock.Reason.KIOSK
    assert placed.note == "Card kept by Self-check kiosk 3, Main: Card left in the kiosk"
    assert placed.in_force()
    block(talk)
    assert PatronBlock.objects.count() == 1
    refused = checkout(talk, item.barcode, pin=PIN)
    assert refused.fixed["ok"] == "0"
    assert refused.get("AF").startswith("Borrowing is suspended: Card kept by a self-check")
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, additional_data__page="sip2:block_patron"
    ).exists()


def test_block_patron_of_an_unknown_card_is_refused(talk, guard, patron):
    talk.login("kiosk3", guard[1])
    answer = block(talk, card="99999999999999")
    assert answer.command == "24" and answer.get("BL") == "N"
    assert answer.get("AF") == "This card cannot be used. Please ask at the desk."
    assert not PatronBlock.objects.exists()


def test_patron_enable_lifts_a_kiosk_s_block_with_the_pin_and_never_staff_s(talk, guard, patron):
    talk.login("kiosk3", guard[1])
    block(talk)
    no_pin = enable(talk, pin=None)
    assert no_pin.command == "26" and no_pin.get("BL") == "N"
    assert no_pin.get("AF") == "Please enter your PIN."
    wrong = enable(talk, pin="0000")
    assert wrong.get("AF") == "Card number or PIN not accepted."
    assert PatronBlock.objects.get().lifted_at is None

    answer = enable(talk)
    assert answer.command == "26"
    assert answer.get("BL") == "Y" and answer.get("CQ") == "Y"
    assert answer.fixed["patron_status"][0] == " "
    assert answer.get("AF") == "Your card is unblocked."
    assert PatronBlock.objects.get().lifted_at is not None

    staff_block = PatronBlockFactory(patron=patron)
    block(talk)
    answer = enable(talk)
    assert answer.get("AF") == "Your card has a block only the desk can lift."
    assert answer.fixed["patron_status"][0] == "Y"
    staff_block.refresh_from_db()
    assert staff_block.lifted_at is None
    assert not PatronBlock.objects.filter(reason="kiosk", lifted_at__isnull=True).exists()


# -- hold (15) ---------------------------------------------------------------------------------


@pytest.fixture
def holds_kiosk(branch):
    return make_terminal(
        branch, "Catalog kiosk", "catalog1", may_patron=True, may_circulate=True, may_hold=True
    )


def hold(talk, mode, barcode, pickup="", pin=None):
    fields = [("AO", INSTITUTION), ("AA", CARD)]
    if pickup:
        fields.insert(0, ("BS", pickup))
    if pin is not None:
        fields.append(("AD", pin))
    fields.append(("AB", barcode))
    return talk.send("15", {"hold_mode": mode, "transaction_date": STAMP}, fields)


def test_hold_place_and_cancel(talk, holds_kiosk, patron, item, east):
    on_loan(PatronFactory(), item, due_at=timezone.now() + DAY)
    talk.login("catalog1", holds_kiosk[1])
    assert hold(talk, "+", item.barcode).get("AF") == "Please enter your PIN."
    answer = hold(talk, "+", item.barcode, pickup="EAST", pin=PIN)
    assert answer.command == "16"
    assert answer.fixed["ok"] == "1" and answer.fixed["available"] == "N"
    assert answer.get("BS") == "east" and answer.get("BR") == "1"
    assert answer.get("AF") == "Hold placed: pick it up at East Side."
    placed = Hold.objects.get()
    assert (placed.patron, placed.title, placed.pickup_branch) == (patron, item.title, east)
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, additional_data__page="sip2:hold"
    ).exists()

    again = hold(talk, "+", item.barcode)
    assert again.fixed["ok"] == "0"
    assert again.get("AF") == "There is already a hold on this title for this card."

    cancelled = hold(talk, "-", item.barcode)
    assert cancelled.fixed["ok"] == "1" and cancelled.get("AF") == "Hold cancelled."
    assert Hold.objects.get().status == Hold.Status.CANCELLED
    assert hold(talk, "-", item.barcode).get("AF") == "This card has no hold on this title."


@pytest.mark.parametrize(
    ("mode", "barcode", "pickup", "screen"),
    [
        ("*", "31234000000001", "", "A hold cannot be changed here. Ask at the desk."),
        ("x", "31234000000001", "", "Unknown hold mode: + places a hold, - cancels it."),
        ("+", "", "", "Scan the item to place or cancel its hold."),
        ("+", "nothing", "", "No item has that barcode."),
        ("+", "31234000000001", "nowhere", "No branch has that pickup location code."),
    ],
)
def test_a_hold_request_that_cannot_be_done_is_refused(
    talk, holds_kiosk, patron, item, mode, barcode, pickup, screen
):
    talk.login("catalog1", holds_kiosk[1])
    answer = hold(talk, mode, barcode, pickup=pickup, pin=PIN)
    assert answer.command == "16" and answer.fixed["ok"] == "0"
    assert answer.get("AF") == screen
    assert not Hold.objects.exists()


# -- item status update (19), item information (18) --------------------------------------------


def test_item_status_update_is_accepted_for_a_known_copy_and_changes_nothing(talk, branch, item):
    _, secret = make_terminal(branch, "RFID pad", "pad1", may_update_items=True)
    talk.login("pad1", secret)
    before = list(Item.objects.values())
    answer = talk.send(
        "19", {"transaction_date": STAMP},
        [("AO", INSTITUTION), ("AB", item.barcode), ("AC", ""), ("CH", "security=on")],
    )  # fmt: skip
    assert answer.command == "20" and answer.fixed["item_properties_ok"] == "1"
    assert answer.get("AB") == item.barcode
    unknown = talk.send(
        "19", {"transaction_date": STAMP}, [("AO", INSTITUTION), ("AB", "nothing"), ("CH", "x")]
    )
    assert unknown.fixed["item_properties_ok"] == "0"
    assert unknown.get("AF") == "No item has that barcode."
    assert list(Item.objects.values()) == before


def test_item_information_has_media_type_call_number_and_sort_bin(talk, kiosk, branch, east):
    SortBin.objects.create(branch=branch, route="transit", destination=east, bin="E")
    SortBin.objects.create(branch=branch, item_type="dvd", bin="D")
    dvd = ItemFactory(branch=branch, item_type="dvd", call_number="DVD 791.43 CAS")
    visitor = ItemFactory(branch=east, item_type="magazine")
    talk.login("kiosk2", kiosk[1])
    answer = item_info(talk, dvd.barcode)
    assert (answer.get("CK"), answer.get("CS"), answer.get("CL")) == ("006", "DVD 791.43 CAS", "D")
    answer = item_info(talk, visitor.barcode)
    assert (answer.get("CK"), answer.get("CL")) == ("002", "E")  # would be sent home
    assert not answer.has("CS")  # no call number recorded


def test_status_says_which_of_the_new_messages_this_terminal_may_send(talk, branch):
    _, secret = make_terminal(
        branch, "Everything", "all1", may_patron=True, may_circulate=True, may_block=True,
        may_hold=True, may_update_items=True,
    )  # fmt: skip
    talk.login("all1", secret)
    answer = talk.send(
        "99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"}
    )
    #      23 11 09 01 99 97 93 63 35 37 17 19 25 15 29 65
    assert answer.get("BX") == "YYYYYYYYYNYYYYYY"
    assert answer.fixed["status_update_ok"] == "Y"  # block patron
    assert answer.fixed["offline_ok"] == "Y"  # dated check-outs
