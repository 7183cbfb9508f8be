"""The circulation services: what each one does, and each refusal with its message and an
unchanged database (the `refused` fixture checks both)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import (
    CirculationRule,
    ComputerSession,
    Fine,
    Hold,
    Item,
    Loan,
    Program,
    ProgramRegistration,
    Visit,
    VisitCount,
)
from circulation.selectors import balance_for_patron
from circulation.selectors.renewals import renewal_refusal
from patrons.exceptions import PatronRefusal
from patrons.models import Card, Patron
from stats.models import CirculationDay, TitleMonth
from tests.circulation.conftest import default_rule, end_of_day, type_rule
from tests.circulation.test_desk import day
from tests.factories import (
    CardFactory,
    ComputerSessionFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    PatronBlockFactory,
    PatronFactory,
    ProgramFactory,
    TitleFactory,
)
from tests.helpers import set_library_policy

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def item(branch):
    return ItemFactory(branch=branch, title=TitleFactory(title="The Lighthouse Keeper's Diary"))


def _day_of(moment):
    """Only the month of a patron's last activity is kept: its first day's local midnight."""
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def checkout(card, item, actor, **kwargs):
    return services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=actor, **kwargs
    )


# -- check-out ------------------------------------------------------------------------------------


def test_checkout_creates_the_loan_due_at_2359_by_the_item_types_policy(
    card, branch, other_branch, clerk, now
):
    type_rule(Item.ItemType.DVD).update(loan_days=3)
    dvd = ItemFactory(branch=branch, item_type=Item.ItemType.DVD)
    Patron.objects.filter(pk=card.patron_id).update(last_activity_at=now - 300 * DAY)

    loan = checkout(card, dvd, clerk, branch=other_branch, now=now)

    loan = Loan.objects.get(pk=loan.pk)
    assert loan.item == dvd and loan.patron == card.patron and loan.returned_at is None
    assert loan.checked_out_at == now and loan.checked_out_by == clerk
    assert loan.branch == other_branch  # where the desk is, not the item's home
    counted = CirculationDay.objects.get(day=timezone.localdate(now), branch=other_branch)
    assert (counted.item_type, counted.patron_category) == (dvd.item_type, card.patron.category_id)
    assert counted.checkouts == 1 and counted.returns == 0
    assert TitleMonth.objects.get(title=dvd.title).checkouts == 1
    assert Item.objects.get(pk=dvd.pk).circulation_count == 1
    due = timezone.localtime(loan.due_at)
    assert due.date() == timezone.localdate(now) + 3 * DAY
    assert (due.hour, due.minute, due.second) == (23, 59, 0)
    assert Item.objects.get(pk=dvd.pk).status == Item.Status.ON_LOAN
    assert Patron.objects.get(pk=card.patron_id).last_activity_at == _day_of(now)


def test_checkout_at_the_items_branch_by_default(card, item, clerk, book_policy, now):
    loan = checkout(card, item, clerk, now=now)
    assert loan.branch == item.branch
    assert timezone.localtime(loan.due_at).date() == timezone.localdate(now) + 21 * DAY


def test_checkout_accepts_a_barcode_with_spaces_around_it(card, item, clerk):
    loan = services.loan_checkout(
        card_number=card.number, barcode=f"  {item.barcode} ", actor=clerk
    )
    assert loan.item == item


def test_checkout_refuses_an_unknown_card(item, clerk, refused):
    refused(
        lambda: services.loan_checkout(
            card_number="29999999999999", barcode=item.barcode, actor=clerk
        ),
        code=PatronRefusal.UNKNOWN_CARD,
        message="No library card has that number.",
    )


def test_checkout_refuses_a_lost_card(card, item, clerk, refused):
    Card.objects.filter(pk=card.pk).update(status=Card.Status.LOST)
    message = refused(lambda: checkout(card, item, clerk), code=PatronRefusal.LOST_CARD)
    assert message.startswith("This card was reported lost.")


def test_checkout_refuses_an_expired_card(card, item, clerk, refused, now):
    expired_on = timezone.localdate(now) - DAY
    Patron.objects.filter(pk=card.patron_id).update(card_expires_on=expired_on)
    refused(
        lambda: checkout(card, item, clerk, now=now),
        code=PatronRefusal.EXPIRED_CARD,
        message=f"This card expired on {expired_on:%b} {expired_on.day}, {expired_on.year}. "
        "Renew the patron's registration first.",
    )


def test_a_card_expiring_today_still_works(card, item, clerk, now):
    Patron.objects.filter(pk=card.patron_id).update(card_expires_on=timezone.localdate(now))
    assert checkout(card, item, clerk, now=now).pk


def test_checkout_refuses_a_blocked_patron(card, item, clerk, refused):
    PatronBlockFactory(patron=card.patron)
    refused(
        lambda: checkout(card, item, clerk),
        code=CirculationRefusal.BLOCKED,
        message="Borrowing is suspended: Rules of behaviour (until lifted).",
    )


@pytest.mark.parametrize(
    "block",
    [
        pytest.param({"lifted_at": "now"}, id="lifted"),
        pytest.param({"ends_at": "yesterday"}, id="ended"),
        pytest.param({"starts_at": "tomorrow"}, id="not-yet-started"),
    ],
)
def test_a_block_not_in_force_does_not_refuse(card, item, clerk, now, block):
    moments = {"now": now, "yesterday": now - DAY, "tomorrow": now + DAY}
    fields = {name: moments[value] for name, value in block.items()}
    fields.setdefault("starts_at", now - 10 * DAY)
    PatronBlockFactory(patron=card.patron, **fields)
    loan = checkout(card, item, clerk, now=now)
    assert Loan.objects.filter(pk=loan.pk, returned_at__isnull=True).exists()


def test_checkout_refuses_a_balance_above_the_limit(card, item, clerk, refused, settings):
    set_library_policy(max_balance=Decimal("1.00"))
    FineFactory(patron=card.patron, amount=Decimal("1.50"))
    refused(
        lambda: checkout(card, item, clerk),
        code=CirculationRefusal.BALANCE,
        message="Unpaid balance of $1.50 is above the limit of $1.00. Take a payment first.",
    )


def test_a_balance_at_the_limit_after_a_partial_payment_does_not_refuse(
    card, item, clerk, settings
):
    set_library_policy(max_balance=Decimal("1.00"))
    FineFactory(patron=card.patron, amount=Decimal("3.00"), amount_paid=Decimal("2.00"))
    FineFactory(
        patron=card.patron,
        amount=Decimal("9.00"),
        amount_paid=Decimal("9.00"),
        settled_at=timezone.now(),
    )
    assert checkout(card, item, clerk).pk


def test_checkout_refuses_an_unknown_item(card, clerk, refused):
    refused(
        lambda: services.loan_checkout(
            card_number=card.number, barcode="39999999999999", actor=clerk
        ),
        code=CirculationRefusal.UNKNOWN_ITEM,
        message="No item has that barcode.",
    )


def test_checkout_refuses_an_item_already_on_loan(card, clerk, lend, refused):
    someone_elses = lend(PatronFactory())
    refused(
        lambda: checkout(card, someone_elses.item, clerk),
        code=CirculationRefusal.ON_LOAN,
        message="This item is already on loan. Check it in first.",
    )


def test_checkout_refuses_an_item_with_an_open_loan_even_if_marked_available(
    card, clerk, lend, refused
):
    loan = lend(PatronFactory())
    Item.objects.filter(pk=loan.item_id).update(status=Item.Status.AVAILABLE)
    refused(lambda: checkout(card, loan.item, clerk), code=CirculationRefusal.ON_LOAN)


def test_checkout_refuses_a_missing_item(card, item, clerk, refused):
    Item.objects.filter(pk=item.pk).update(status=Item.Status.MISSING)
    refused(
        lambda: checkout(card, item, clerk),
        code=CirculationRefusal.UNAVAILABLE,
        message="This item is marked missing. Check it in to mark it found first.",
    )


def test_checkout_refuses_an_item_on_the_hold_shelf_for_another_patron(
    card, branch, clerk, refused
):
    hold = HoldFactory(waiting=True, pickup_branch=branch)
    refused(
        lambda: checkout(card, hold.item, clerk),
        code=CirculationRefusal.HELD_FOR_OTHER,
        message="This item is on the hold shelf for another patron.",
    )
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.WAITING


def test_the_holds_own_patron_checks_it_out_and_the_hold_is_fulfilled(branch, clerk, now):
    hold = HoldFactory(waiting=True, pickup_branch=branch)
    own_card = CardFactory(patron=hold.patron)
    loan = checkout(own_card, hold.item, clerk, now=now)
    hold.refresh_from_db()
    assert hold.status == Hold.Status.FULFILLED and hold.closed_at == now
    assert loan.patron == hold.patron
    assert Item.objects.get(pk=hold.item_id).status == Item.Status.ON_LOAN


def test_checkout_refuses_when_the_loan_limit_is_reached(
    card, item, clerk, lend, refused, settings
):
    CirculationRule.objects.filter(pk=default_rule().pk).update(max_loans=2)
    lend(card.patron)
    lend(card.patron)
    refused(
        lambda: checkout(card, item, clerk),
        code=CirculationRefusal.LOAN_LIMIT,
        message="Loan limit reached (2 items).",
    )


def test_returned_loans_do_not_count_towards_the_limit(card, item, clerk, lend, settings):
    CirculationRule.objects.filter(pk=default_rule().pk).update(max_loans=2)
    lend(card.patron)
    services.loan_return(barcode=lend(card.patron).item.barcode, actor=clerk)
    assert checkout(card, item, clerk).pk


# -- check-in -------------------------------------------------------------------------------------


def test_return_closes_the_loan_and_shelves_the_item(card, clerk, lend, now):
    loan = lend(card.patron, due_in_days=3, now=now)
    result = services.loan_return(barcode=loan.item.barcode, actor=clerk, now=now)
    loan.refresh_from_db()
    assert loan.returned_at == now
    assert result.loan == loan and result.fine is None and result.hold is None
    assert result.message == "returned"
    assert Item.objects.get(pk=loan.item_id).status == Item.Status.AVAILABLE
    assert not Fine.objects.exists()
    assert Patron.objects.get(pk=card.patron_id).last_activity_at == _day_of(now)


@pytest.mark.parametrize(
    ("days_late", "fine"),
    [
        (0, None),
        (1, None),  # within the grace day
        (2, "0.50"),  # beyond the grace day, every late day is charged
        (3, "0.75"),
        (20, "5.00"),
        (400, "5.00"),  # capped at max_fine
    ],
)
def test_overdue_fine_is_the_daily_rate_times_days_late_capped(
    card, clerk, lend, book_policy, now, days_late, fine
):
    loan = lend(card.patron, due_in_days=-days_late, now=now)
    result = services.loan_return(barcode=loan.item.barcode, actor=clerk, now=now)
    if fine is None:
        assert result.fine is None and not Fine.objects.exists()
        assert result.message == "returned"
        return
    stored = Fine.objects.get()
    assert stored == result.fine
    assert stored.amount == Decimal(fine)
    assert (stored.patron, stored.loan, stored.reason) == (card.patron, loan, Fine.Reason.OVERDUE)
    assert stored.assessed_at == now and stored.settled_at is None
    assert result.message == f"returned, fine assessed ${fine}"


def test_a_return_dated_before_the_due_date_is_not_fined(card, clerk, lend, now):
    """A book drop emptied days later: the loan closes, and is fined, as of the date the
    copy was really returned."""
    loan = lend(card.patron, due_in_days=-5, now=now)
    dropped = loan.due_at - datetime.timedelta(hours=2)
    result = services.loan_return(
        barcode=loan.item.barcode, actor=clerk, now=now, returned_at=dropped
    )
    loan.refresh_from_db()
    assert loan.returned_at == dropped
    assert result.fine is None and not Fine.objects.exists()


def test_a_return_dated_late_is_fined_for_the_days_to_that_date(
    card, clerk, lend, book_policy, now
):
    loan = lend(card.patron, due_in_days=-10, now=now)
    result = services.loan_return(
        barcode=loan.item.barcode, actor=clerk, now=now, returned_at=now - 7 * DAY
    )
    assert result.fine.amount == Decimal("0.75")  # 3 days late then, not 10


def test_a_return_date_in_the_future_or_before_the_loan_is_refused(card, clerk, lend, now, refused):
    loan = lend(card.patron, due_in_days=3, now=now)
    refused(
        lambda: services.loan_return(
            barcode=loan.item.barcode, actor=clerk, now=now, returned_at=now + DAY
        ),
        code=CirculationRefusal.RETURN_DATE,
        message="The return date is in the future.",
    )
    refused(
        lambda: services.loan_return(
            barcode=loan.item.barcode,
            actor=clerk,
            now=now,
            returned_at=loan.checked_out_at - DAY,
        ),
        code=CirculationRefusal.RETURN_DATE,
        message="The return date is before the loan began.",
    )


def test_overdue_fine_follows_the_policy_row_of_the_item_type(card, clerk, lend, now):
    type_rule(Item.ItemType.DVD).update(
        daily_fine=Decimal("1.10"), grace_days=0, max_fine=Decimal("3.00")
    )
    one_day = lend(card.patron, due_in_days=-1, now=now, item_type=Item.ItemType.DVD)
    many_days = lend(card.patron, due_in_days=-9, now=now, item_type=Item.ItemType.DVD)
    assert services.loan_return(barcode=one_day.item.barcode, actor=clerk, now=now).fine.amount == (
        Decimal("1.10")
    )
    assert services.loan_return(
        barcode=many_days.item.barcode, actor=clerk, now=now
    ).fine.amount == Decimal("3.00")


def test_return_traps_the_item_for_the_first_hold_in_placed_order(
    card, branch, clerk, lend, now, settings, django_capture_on_commit_callbacks
):
    set_library_policy(hold_pickup_days=4)
    title = TitleFactory(title="Secrets of the Foghorn")
    loan = lend(PatronFactory(), title=title)
    # Created first, but placed later: the queue is by placed_at.
    later = HoldFactory(title=title, pickup_branch=branch, placed_at=now - 1 * DAY)
    first = HoldFactory(
        title=title, pickup_branch=branch, patron=card.patron, placed_at=now - 2 * DAY
    )
    HoldFactory(
        title=title,
        pickup_branch=branch,
        placed_at=now - 9 * DAY,
        status=Hold.Status.CANCELLED,
        closed_at=now - 8 * DAY,
    )
    elsewhere = HoldFactory(pickup_branch=branch, placed_at=now - 30 * DAY)  # another title

    with django_capture_on_commit_callbacks(execute=True):
        result = services.loan_return(
            barcode=loan.item.barcode, actor=clerk, branch=branch, now=now
        )

    first.refresh_from_db()
    assert first.status == Hold.Status.WAITING and first.item_id == loan.item_id
    assert first.pickup_by == end_of_day(now + 4 * DAY)
    assert Hold.objects.get(pk=later.pk).status == Hold.Status.PLACED
    assert Hold.objects.get(pk=elsewhere.pk).status == Hold.Status.PLACED
    assert Item.objects.get(pk=loan.item_id).status == Item.Status.ON_HOLD_SHELF
    assert result.hold == first
    assert result.message == "returned, put on hold shelf for card …0001"

    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [card.patron.email]
    assert notice.subject == "Your hold is ready for pickup"
    assert branch.name in notice.body
    assert "Foghorn" not in notice.body
    assert Hold.objects.get(pk=first.pk).notified_at is not None


def test_hold_ready_notice_names_the_title_only_when_the_setting_is_on(
    card, branch, clerk, lend, settings, django_capture_on_commit_callbacks
):
    settings.CALUMET_NOTICES_INCLUDE_TITLES = True
    title = TitleFactory(title="Secrets of the Foghorn")
    loan = lend(PatronFactory(), title=title)
    HoldFactory(title=title, pickup_branch=branch, patron=card.patron)
    with django_capture_on_commit_callbacks(execute=True):
        services.loan_return(barcode=loan.item.barcode, actor=clerk, branch=branch)
    assert len(mail.outbox) == 1
    assert "Secrets of the Foghorn" in mail.outbox[0].body


def test_no_hold_ready_notice_before_the_transaction_commits(
    card, branch, clerk, lend, django_capture_on_commit_callbacks
):
    loan = lend(PatronFactory())
    HoldFactory(title=loan.item.title, pickup_branch=branch, patron=card.patron)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.loan_return(barcode=loan.item.barcode, actor=clerk, branch=branch)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_return_at_another_branch_sends_the_item_in_transit_then_it_arrives(
    card, branch, other_branch, clerk, lend, now, django_capture_on_commit_callbacks, refused
):
    loan = lend(PatronFactory())
    hold = HoldFactory(title=loan.item.title, pickup_branch=other_branch, patron=card.patron)
    barcode = loan.item.barcode

    with django_capture_on_commit_callbacks(execute=True):
        result = services.loan_return(barcode=barcode, actor=clerk, branch=branch, now=now)
    assert result.message == "returned, send to East Side Branch for card …0001"
    hold.refresh_from_db()
    assert hold.status == Hold.Status.IN_TRANSIT and hold.item_id == loan.item_id
    assert hold.pickup_by is None
    assert Item.objects.get(pk=loan.item_id).status == Item.Status.IN_TRANSIT
    assert mail.outbox == []  # not on the shelf yet

    # Scanned at a third branch on the way: refused, nothing changes.
    third = ItemFactory().branch
    refused(
        lambda: services.loan_return(barcode=barcode, actor=clerk, branch=third),
        code=CirculationRefusal.IN_TRANSIT,
        message="This item is in transit to East Side Branch.",
    )

    later = now + DAY
    with django_capture_on_commit_callbacks(execute=True):
        arrived = services.loan_return(barcode=barcode, actor=clerk, branch=other_branch, now=later)
    assert arrived.message == "arrived for pickup, put on hold shelf for card …0001"
    assert arrived.loan is None and arrived.fine is None
    hold.refresh_from_db()
    assert hold.status == Hold.Status.WAITING
    assert hold.pickup_by == end_of_day(later + 7 * DAY)
    assert Item.objects.get(pk=loan.item_id).status == Item.Status.ON_HOLD_SHELF
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [card.patron.email]


def test_returning_an_item_not_on_loan_is_refused(item, clerk, refused):
    refused(
        lambda: services.loan_return(barcode=item.barcode, actor=clerk),
        code=CirculationRefusal.NOT_ON_LOAN,
        message="This item is not checked out.",
        exc=CirculationRefused,
    )


def test_returning_an_item_on_the_hold_shelf_is_refused(branch, clerk, refused):
    hold = HoldFactory(waiting=True, pickup_branch=branch)
    refused(
        lambda: services.loan_return(barcode=hold.item.barcode, actor=clerk),
        code=CirculationRefusal.NOT_ON_LOAN,
        message="This item is not checked out: it is waiting on the hold shelf.",
    )


def test_returning_an_unknown_barcode_is_refused(clerk, refused):
    refused(
        lambda: services.loan_return(barcode="nothing-like-it", actor=clerk),
        code=CirculationRefusal.UNKNOWN_ITEM,
        message="No item has that barcode.",
    )


def test_checking_in_a_missing_item_marks_it_found(item, clerk):
    Item.objects.filter(pk=item.pk).update(status=Item.Status.MISSING)
    result = services.loan_return(barcode=item.barcode, actor=clerk)
    assert result.message == "was marked missing, now found"
    assert Item.objects.get(pk=item.pk).status == Item.Status.AVAILABLE


# -- renewals -----------------------------------------------------------------------------------


def test_renewal_extends_the_due_date_from_today(card, clerk, lend, book_policy, now):
    loan = lend(card.patron, due_in_days=2, now=now)
    assert renewal_refusal(loan=loan, now=now) is None
    renewed = services.loan_renew(loan=loan, actor=clerk, now=now)
    loan.refresh_from_db()
    assert loan.due_at == end_of_day(now + 21 * DAY) == renewed.due_at
    assert loan.renewals == renewed.renewals == 1
    assert Patron.objects.get(pk=card.patron_id).last_activity_at == _day_of(now)


def test_renewal_that_would_not_move_the_due_date_is_refused_and_not_counted(
    card, clerk, lend, book_policy, now, refused
):
    loan = lend(card.patron, due_in_days=30, now=now)
    refused(
        lambda: services.loan_renew(loan=loan, actor=clerk, now=now),
        code=CirculationRefusal.RENEWAL,
        message=(
            "Renewing today would not move the due date "
            f"({day(timezone.localtime(loan.due_at))}): try again later."
        ),
    )
    assert not CirculationDay.objects.filter(renewals__gt=0).exists()


def test_renewal_refused_when_another_patron_holds_the_title(card, clerk, lend, refused):
    loan = lend(card.patron)
    HoldFactory(title=loan.item.title)
    assert renewal_refusal(loan=loan) == "Another patron is waiting for this title."
    refused(
        lambda: services.loan_renew(loan=loan, actor=clerk),
        code=CirculationRefusal.RENEWAL,
        message="Another patron is waiting for this title.",
    )


def test_a_closed_hold_of_another_patron_does_not_stop_a_renewal(card, clerk, lend, now):
    loan = lend(card.patron)
    HoldFactory(title=loan.item.title, status=Hold.Status.CANCELLED, closed_at=now)
    assert services.loan_renew(loan=loan, actor=clerk).renewals == 1


def test_renewal_refused_at_the_policys_renewal_limit(card, clerk, lend, refused):
    type_rule(Item.ItemType.BOOK).update(max_renewals=1)
    loan = lend(card.patron)
    services.loan_renew(loan=loan, actor=clerk)
    loan.refresh_from_db()
    refused(
        lambda: services.loan_renew(loan=loan, actor=clerk),
        code=CirculationRefusal.RENEWAL,
        message="Renewal limit reached (1).",
    )


def test_renewal_refused_when_overdue_beyond_the_limit(card, clerk, lend, refused, settings, now):
    set_library_policy(renew_overdue_limit_days=5)
    too_late = lend(card.patron, due_in_days=-6, now=now)
    refused(
        lambda: services.loan_renew(loan=too_late, actor=clerk, now=now),
        code=CirculationRefusal.RENEWAL,
        message="Overdue by more than 5 days: please return it to the library.",
    )
    still_fine = lend(card.patron, due_in_days=-4, now=now)
    assert services.loan_renew(loan=still_fine, actor=clerk, now=now).renewals == 1


def test_renewal_refused_for_a_blocked_patron(card, clerk, lend, refused):
    loan = lend(card.patron)
    PatronBlockFactory(patron=card.patron)
    refused(
        lambda: services.loan_renew(loan=loan, actor=clerk),
        code=CirculationRefusal.RENEWAL,
        message="Borrowing is suspended for this card.",
    )


def test_a_returned_loan_cannot_be_renewed(card, clerk, lend, refused):
    loan = lend(card.patron)
    services.loan_return(barcode=loan.item.barcode, actor=clerk)
    refused(
        lambda: services.loan_renew(loan=loan, actor=clerk),
        code=CirculationRefusal.RENEWAL,
        message="This loan has already been returned.",
    )


def test_renew_by_barcode(card, clerk, lend, item, refused):
    loan = lend(card.patron)
    assert services.loan_renew_by_barcode(barcode=loan.item.barcode, actor=clerk).pk == loan.pk
    refused(
        lambda: services.loan_renew_by_barcode(barcode=item.barcode, actor=clerk),
        code=CirculationRefusal.NOT_ON_LOAN,
        message="This item is not checked out.",
    )
    refused(
        lambda: services.loan_renew_by_barcode(barcode="39999999999999", actor=clerk),
        code=CirculationRefusal.UNKNOWN_ITEM,
    )


# -- holds --------------------------------------------------------------------------------------


def test_hold_place_queues_the_patron(card, branch, clerk, item, now):
    hold = services.hold_place(
        patron=card.patron, title=item.title, pickup_branch=branch, actor=clerk, now=now
    )
    hold.refresh_from_db()
    assert (hold.status, hold.placed_at, hold.pickup_branch) == (Hold.Status.PLACED, now, branch)
    assert Patron.objects.get(pk=card.patron_id).last_activity_at == _day_of(now)


def test_a_second_active_hold_on_the_same_title_is_refused(card, branch, clerk, item, refused):
    first = services.hold_place(
        patron=card.patron, title=item.title, pickup_branch=branch, actor=clerk
    )
    refused(
        lambda: services.hold_place(
            patron=card.patron, title=item.title, pickup_branch=branch, actor=clerk
        ),
        code=CirculationRefusal.DUPLICATE,
        message="There is already a hold on this title for this card.",
    )
    services.hold_cancel(hold=first, actor=clerk)
    again = services.hold_place(
        patron=card.patron, title=item.title, pickup_branch=branch, actor=clerk
    )
    assert again.status == Hold.Status.PLACED


@pytest.mark.parametrize("copies", [[], [Item.Status.WITHDRAWN]], ids=["no-copy", "withdrawn"])
def test_a_hold_on_a_title_without_copies_is_refused(card, branch, clerk, refused, copies):
    title = TitleFactory()
    for status in copies:
        ItemFactory(title=title, status=status)
    refused(
        lambda: services.hold_place(
            patron=card.patron, title=title, pickup_branch=branch, actor=clerk
        ),
        code=CirculationRefusal.NO_COPY,
        message="The library has no copy of this title to hold.",
    )


def test_a_blocked_patron_cannot_place_a_hold(card, branch, clerk, item, refused):
    PatronBlockFactory(patron=card.patron)
    refused(
        lambda: services.hold_place(
            patron=card.patron, title=item.title, pickup_branch=branch, actor=clerk
        ),
        code=CirculationRefusal.BLOCKED,
        message="Placing holds is suspended: Rules of behaviour (until lifted).",
    )


def test_cancelling_a_waiting_hold_passes_the_item_to_the_next_in_queue(
    card, branch, clerk, now, django_capture_on_commit_callbacks
):
    item = ItemFactory(branch=branch, status=Item.Status.ON_HOLD_SHELF)
    waiting = HoldFactory(
        title=item.title,
        pickup_branch=branch,
        status=Hold.Status.WAITING,
        item=item,
        pickup_by=now + 3 * DAY,
        placed_at=now - 5 * DAY,
    )
    second = HoldFactory(title=item.title, pickup_branch=branch, placed_at=now - 2 * DAY)
    third = HoldFactory(
        title=item.title, pickup_branch=branch, patron=card.patron, placed_at=now - DAY
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.hold_cancel(hold=waiting, actor=clerk, now=now)

    waiting.refresh_from_db()
    assert waiting.status == Hold.Status.CANCELLED and waiting.closed_at == now
    assert waiting.item is None and waiting.pickup_by is None
    second.refresh_from_db()
    assert second.status == Hold.Status.WAITING and second.item_id == item.pk
    assert Hold.objects.get(pk=third.pk).status == Hold.Status.PLACED
    assert Item.objects.get(pk=item.pk).status == Item.Status.ON_HOLD_SHELF
    assert [m.to for m in mail.outbox] == [[second.patron.email]]


def test_cancelling_the_last_waiting_hold_puts_the_item_back_on_the_shelves(branch, clerk, now):
    hold = HoldFactory(waiting=True, pickup_branch=branch)
    services.hold_cancel(hold=hold, actor=clerk, now=now)
    assert Item.objects.get(pk=hold.item_id).status == Item.Status.AVAILABLE
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.CANCELLED


def test_cancelling_a_placed_hold_leaves_the_items_alone(card, branch, clerk, lend):
    loan = lend(PatronFactory())
    hold = HoldFactory(title=loan.item.title, pickup_branch=branch)
    services.hold_cancel(hold=hold, actor=clerk)
    assert Item.objects.get(pk=loan.item_id).status == Item.Status.ON_LOAN


def test_a_closed_hold_cannot_be_cancelled(branch, clerk, refused, now):
    hold = HoldFactory(status=Hold.Status.FULFILLED, closed_at=now)
    refused(
        lambda: services.hold_cancel(hold=hold, actor=clerk),
        code=CirculationRefusal.CLOSED,
        message="This hold is no longer active.",
    )


@pytest.mark.parametrize("close", ["cancel", "expire"])
def test_a_closed_hold_passes_its_item_on_at_the_branch_where_it_sits(
    branch, other_branch, clerk, now, close
):
    # A copy from the Central Library, sent to East Side for the first patron.
    item = ItemFactory(branch=branch, status=Item.Status.ON_HOLD_SHELF)
    first = HoldFactory(
        title=item.title,
        pickup_branch=other_branch,
        status=Hold.Status.WAITING,
        item=item,
        pickup_by=now + 3 * DAY,
        placed_at=now - 5 * DAY,
    )
    # The next patron also picks up at East Side, where the copy already is.
    second = HoldFactory(title=item.title, pickup_branch=other_branch, placed_at=now - DAY)
    if close == "cancel":
        services.hold_cancel(hold=first, actor=clerk, now=now)
    else:
        Hold.objects.filter(pk=first.pk).update(pickup_by=now - DAY)
        assert services.hold_expire_unclaimed(actor=None, now=now) == 1
    second.refresh_from_db()
    assert second.status == Hold.Status.WAITING
    assert Item.objects.get(pk=item.pk).status == Item.Status.ON_HOLD_SHELF


def test_a_cancelled_hold_does_not_tell_the_next_patron_to_collect_where_the_copy_is_not(
    branch, other_branch, clerk, now, django_capture_on_commit_callbacks
):
    # A Central Library copy waits on the East Side hold shelf for the first patron.
    item = ItemFactory(branch=branch, status=Item.Status.ON_HOLD_SHELF)
    first = HoldFactory(
        title=item.title,
        pickup_branch=other_branch,
        status=Hold.Status.WAITING,
        item=item,
        pickup_by=now + 3 * DAY,
        placed_at=now - 5 * DAY,
    )
    # The next patron picks up at the Central Library: the copy has to travel there.
    second = HoldFactory(title=item.title, pickup_branch=branch, placed_at=now - DAY)
    with django_capture_on_commit_callbacks(execute=True):
        services.hold_cancel(hold=first, actor=clerk, now=now)
    second.refresh_from_db()
    assert second.status == Hold.Status.IN_TRANSIT
    assert mail.outbox == []  # no "waiting for you at Central Library" while it is at East Side


def test_expire_unclaimed_closes_only_holds_past_their_pickup_deadline(branch, clerk, now):
    past = [HoldFactory(waiting=True, pickup_branch=branch) for _ in range(2)]
    Hold.objects.filter(pk__in=[h.pk for h in past]).update(
        pickup_by=now - datetime.timedelta(minutes=1)
    )
    on_time = HoldFactory(waiting=True, pickup_branch=branch)
    Hold.objects.filter(pk=on_time.pk).update(pickup_by=now + datetime.timedelta(minutes=1))
    queued = HoldFactory(pickup_branch=branch)

    assert services.hold_expire_unclaimed(actor=None, now=now) == 2

    past_items = [hold.item_id for hold in past]
    for hold in past:
        hold.refresh_from_db()
        assert hold.status == Hold.Status.EXPIRED and hold.closed_at == now
        assert hold.item is None and hold.pickup_by is None
    assert set(Item.objects.filter(pk__in=past_items).values_list("status", flat=True)) == {
        Item.Status.AVAILABLE
    }
    assert Hold.objects.get(pk=on_time.pk).status == Hold.Status.WAITING
    assert Hold.objects.get(pk=queued.pk).status == Hold.Status.PLACED
    assert Item.objects.get(pk=on_time.item_id).status == Item.Status.ON_HOLD_SHELF
    assert services.hold_expire_unclaimed(actor=None, now=now) == 0


def test_an_expired_holds_item_goes_back_to_the_shelves(branch, now):
    hold = HoldFactory(waiting=True, pickup_branch=branch)
    item_id = hold.item_id
    Hold.objects.filter(pk=hold.pk).update(pickup_by=now - DAY)
    assert services.hold_expire_unclaimed(actor=None, now=now) == 1
    assert Item.objects.get(pk=item_id).status == Item.Status.AVAILABLE


# -- fines ----------------------------------------------------------------------------------------


@pytest.fixture
def fine(card):
    return FineFactory(patron=card.patron, amount=Decimal("3.00"))


def test_a_partial_payment_lowers_the_balance(fine, clerk, now):
    paid = services.fine_pay(fine=fine, amount="1.25", actor=clerk, now=now)
    fine.refresh_from_db()
    assert fine.amount_paid == Decimal("1.25") == paid.amount_paid
    assert fine.balance == Decimal("1.75")
    assert fine.settled_at is None
    assert Patron.objects.get(pk=fine.patron_id).last_activity_at == _day_of(now)


def test_paying_the_rest_settles_the_fine(fine, clerk, now):
    services.fine_pay(fine=fine, amount="1.00", actor=clerk, now=now - DAY)
    services.fine_pay(fine=fine, amount=Decimal("2.00"), actor=clerk, now=now)
    fine.refresh_from_db()
    assert fine.amount_paid == fine.amount and fine.balance == 0
    assert fine.settled_at == now


def test_a_dollar_sign_is_accepted(fine, clerk):
    services.fine_pay(fine=fine, amount="$3.00", actor=clerk)
    assert Fine.objects.get(pk=fine.pk).settled_at is not None


def test_an_overpayment_is_refused(fine, clerk, refused):
    services.fine_pay(fine=fine, amount="1.25", actor=clerk)
    refused(
        lambda: services.fine_pay(fine=fine, amount="1.76", actor=clerk),
        code=CirculationRefusal.OVERPAYMENT,
        message="That is more than the balance of $1.75: overpayment refused.",
    )


@pytest.mark.parametrize("amount", ["0", "0.00", "-1", "-0.01", "0.001", Decimal("0")])
def test_a_zero_or_negative_payment_is_refused(fine, clerk, refused, amount):
    refused(
        lambda: services.fine_pay(fine=fine, amount=amount, actor=clerk),
        code=CirculationRefusal.AMOUNT,
        message="A payment must be more than $0.00.",
    )


@pytest.mark.parametrize("amount", ["abc", "", "1,50", "NaN", "Infinity", "-inf", "two", None])
def test_a_non_numeric_payment_is_refused(fine, clerk, refused, amount):
    refused(
        lambda: services.fine_pay(fine=fine, amount=amount, actor=clerk),
        code=CirculationRefusal.AMOUNT,
        message="Enter an amount such as 2.50.",
    )


def test_a_settled_fine_takes_no_payment(fine, clerk, refused):
    services.fine_pay(fine=fine, amount="3.00", actor=clerk)
    refused(
        lambda: services.fine_pay(fine=fine, amount="1.00", actor=clerk),
        code=CirculationRefusal.SETTLED,
        message="This fine is already settled.",
    )


@pytest.mark.parametrize("reason", ["", "   ", None, "Hardship", "because"])
def test_waiving_needs_a_reason_from_the_list(fine, librarian, refused, reason):
    refused(
        lambda: services.fine_waive(fine=fine, reason=reason, actor=librarian),
        code=CirculationRefusal.REASON,
        message="Choose a reason for waiving the fine.",
    )


def test_a_waiver_note_is_short_and_other_needs_one(fine, librarian, refused):
    refused(
        lambda: services.fine_waive(fine=fine, reason="goodwill", note="x" * 101, actor=librarian),
        code=CirculationRefusal.NOTE,
        message="Keep the note under 100 characters.",
    )
    refused(
        lambda: services.fine_waive(fine=fine, reason="other", note="  ", actor=librarian),
        code=CirculationRefusal.NOTE,
        message="Say in the note why the fine is waived.",
    )
    services.fine_waive(fine=fine, reason="other", note=" x" * 50, actor=librarian)
    waived = Fine.objects.get(pk=fine.pk)
    assert (waived.waive_reason, waived.waive_note) == ("other", ("x " * 50).strip())


def test_a_clerk_cannot_waive_a_fine(fine, clerk, unchanged):
    with unchanged(), pytest.raises(PermissionDenied):
        services.fine_waive(fine=fine, reason="hardship", actor=clerk)


def test_the_system_cannot_waive_a_fine(fine, unchanged):
    with unchanged(), pytest.raises(PermissionDenied):
        services.fine_waive(fine=fine, reason="hardship", actor=None)


def test_a_librarian_waives_a_fine_with_a_reason(fine, clerk, librarian, card, now):
    services.fine_pay(fine=fine, amount="1.00", actor=clerk)
    services.fine_waive(fine=fine, reason="hardship", actor=librarian, now=now)
    fine.refresh_from_db()
    assert fine.waived_at == now and fine.settled_at == now
    assert fine.waived_by == librarian and fine.waive_reason == "hardship"
    assert fine.balance == 0
    assert fine.amount_paid == Decimal("1.00")  # what was paid stays paid
    assert balance_for_patron(patron=card.patron) == 0


def test_a_settled_fine_cannot_be_waived(fine, librarian, refused):
    services.fine_waive(fine=fine, reason="hardship", actor=librarian)
    refused(
        lambda: services.fine_waive(fine=fine, reason="goodwill", actor=librarian),
        code=CirculationRefusal.SETTLED,
        message="This fine is already settled.",
    )


# -- programs -------------------------------------------------------------------------------------


def test_a_full_program_puts_the_extra_patron_on_the_waiting_list(now):
    program = ProgramFactory(capacity=2)
    patrons = [PatronFactory() for _ in range(3)]
    signups = [
        services.program_register(program=program, patron=p, actor=None, now=now + i * DAY / 100)
        for i, p in enumerate(patrons)
    ]
    assert [s.status for s in signups] == [
        ProgramRegistration.Status.REGISTERED,
        ProgramRegistration.Status.REGISTERED,
        ProgramRegistration.Status.WAITLISTED,
    ]
    assert Program.objects.get(pk=program.pk).registration_count == 2


def test_cancelling_a_registered_signup_promotes_the_first_waitlisted(now):
    program = ProgramFactory(capacity=1)
    registered, first_waiting, second_waiting = (
        services.program_register(
            program=program, patron=PatronFactory(), actor=None, now=now + i * DAY / 100
        )
        for i in range(3)
    )
    services.program_cancel_registration(registration=registered, actor=None, now=now)
    statuses = dict(ProgramRegistration.objects.values_list("pk", "status"))
    assert statuses == {
        registered.pk: ProgramRegistration.Status.CANCELLED,
        first_waiting.pk: ProgramRegistration.Status.REGISTERED,
        second_waiting.pk: ProgramRegistration.Status.WAITLISTED,
    }
    assert Program.objects.get(pk=program.pk).registration_count == 1


def test_cancelling_a_waitlisted_signup_promotes_nobody(now):
    program = ProgramFactory(capacity=1)
    registered = services.program_register(program=program, patron=PatronFactory(), actor=None)
    waiting = services.program_register(program=program, patron=PatronFactory(), actor=None)
    services.program_cancel_registration(registration=waiting, actor=None)
    assert ProgramRegistration.objects.get(pk=registered.pk).status == "registered"
    assert ProgramRegistration.objects.get(pk=waiting.pk).status == "cancelled"
    assert Program.objects.get(pk=program.pk).registration_count == 1


def test_a_program_that_has_ended_is_refused(patron, refused, now):
    program = ProgramFactory(starts_at=now - 3 * DAY)
    refused(
        lambda: services.program_register(program=program, patron=patron, actor=None, now=now),
        code=CirculationRefusal.PAST,
        message="This program has already taken place.",
    )


def test_signing_up_twice_is_refused_but_after_cancelling_is_allowed(patron, refused):
    program = ProgramFactory()
    signup = services.program_register(program=program, patron=patron, actor=None)
    refused(
        lambda: services.program_register(program=program, patron=patron, actor=None),
        code=CirculationRefusal.DUPLICATE,
        message="Already signed up for this program.",
    )
    services.program_cancel_registration(registration=signup, actor=None)
    again = services.program_register(program=program, patron=patron, actor=None)
    assert again.status == ProgramRegistration.Status.REGISTERED


def test_marking_attendance_counts_once(patron):
    program = ProgramFactory()
    signup = services.program_register(program=program, patron=patron, actor=None)
    services.program_mark_attended(registration=signup, actor=None)
    services.program_mark_attended(registration=signup, actor=None)
    assert ProgramRegistration.objects.get(pk=signup.pk).attended is True
    assert Program.objects.get(pk=program.pk).attendance_count == 1


def test_a_cancelled_signup_cannot_be_marked_attended(patron, refused):
    signup = services.program_register(program=ProgramFactory(), patron=patron, actor=None)
    services.program_cancel_registration(registration=signup, actor=None)
    refused(
        lambda: services.program_mark_attended(registration=signup, actor=None),
        code=CirculationRefusal.CANCELLED,
        message="This sign-up was cancelled.",
    )


# -- visits and public computers -------------------------------------------------------------


def test_visits_are_counted_per_branch_and_day(card, branch, other_branch, now):
    second_card = CardFactory()
    services.visit_record(card_number=card.number, branch=branch, actor=None, now=now)
    services.visit_record(card_number=second_card.number, branch=branch, actor=None, now=now)
    services.visit_record(card_number=card.number, branch=other_branch, actor=None, now=now)
    services.visit_record(card_number=card.number, branch=branch, actor=None, now=now + DAY)
    today, tomorrow = timezone.localdate(now), timezone.localdate(now + DAY)
    counts = {(c.branch_id, c.day): c.count for c in VisitCount.objects.all()}
    assert counts == {
        (branch.pk, today): 2,
        (other_branch.pk, today): 1,
        (branch.pk, tomorrow): 1,
    }
    assert Visit.objects.filter(patron=card.patron).count() == 3
    assert Patron.objects.get(pk=card.patron_id).last_activity_at == _day_of(now + DAY)


def test_visits_are_counted_by_the_librarys_local_day(card, branch):
    late_evening = timezone.make_aware(datetime.datetime(2026, 3, 2, 23, 30))
    early_morning = late_evening + datetime.timedelta(hours=1)  # same day in UTC
    for moment in (late_evening, early_morning):
        services.visit_record(card_number=card.number, branch=branch, actor=None, now=moment)
    assert dict(VisitCount.objects.values_list("day", "count")) == {
        datetime.date(2026, 3, 2): 1,
        datetime.date(2026, 3, 3): 1,
    }


def test_a_visit_with_an_unknown_card_is_refused(branch, refused):
    refused(
        lambda: services.visit_record(card_number="29999999999999", branch=branch, actor=None),
        code=PatronRefusal.UNKNOWN_CARD,
    )


def test_a_computer_session_starts_and_ends(card, branch, now):
    session = services.computer_session_start(
        card_number=card.number, branch=branch, workstation=" PC-04 ", actor=None, now=now
    )
    assert (session.patron, session.workstation, session.started_at) == (card.patron, "PC-04", now)
    services.computer_session_end(session=session, actor=None, now=now + DAY / 24)
    assert ComputerSession.objects.get(pk=session.pk).ended_at == now + DAY / 24


def test_a_busy_workstation_is_refused_and_the_patrons_other_session_stays_open(
    card, branch, refused
):
    ComputerSessionFactory(branch=branch, workstation="PC-04")
    own = ComputerSessionFactory(patron=card.patron, branch=branch, workstation="PC-07")
    refused(
        lambda: services.computer_session_start(
            card_number=card.number, branch=branch, workstation="PC-04", actor=None
        ),
        code=CirculationRefusal.WORKSTATION_BUSY,
        message="Someone is already using this computer.",
    )
    assert ComputerSession.objects.get(pk=own.pk).ended_at is None


def test_the_same_label_at_another_branch_is_another_computer(card, branch, other_branch):
    ComputerSessionFactory(branch=other_branch, workstation="PC-04")
    session = services.computer_session_start(
        card_number=card.number, branch=branch, workstation="PC-04", actor=None
    )
    assert session.ended_at is None


def test_starting_a_session_ends_the_patrons_older_open_session(card, branch, now):
    older = ComputerSessionFactory(patron=card.patron, branch=branch, workstation="PC-01")
    someone_else = ComputerSessionFactory(branch=branch, workstation="PC-02")
    services.computer_session_start(
        card_number=card.number, branch=branch, workstation="PC-03", actor=None, now=now
    )
    assert ComputerSession.objects.get(pk=older.pk).ended_at == now
    assert ComputerSession.objects.get(pk=someone_else.pk).ended_at is None
    assert ComputerSession.objects.filter(patron=card.patron, ended_at__isnull=True).count() == 1


def test_ending_an_ended_session_is_refused(card, branch, refused, now):
    session = ComputerSessionFactory(patron=card.patron, branch=branch)
    services.computer_session_end(session=session, actor=None, now=now)
    refused(
        lambda: services.computer_session_end(session=session, actor=None),
        code=CirculationRefusal.ENDED,
        message="This session has already ended.",
    )


@pytest.mark.parametrize("workstation", ["", "   ", None])
def test_a_session_needs_a_workstation(card, branch, refused, workstation):
    refused(
        lambda: services.computer_session_start(
            card_number=card.number, branch=branch, workstation=workstation, actor=None
        ),
        code=CirculationRefusal.WORKSTATION,
        message="Name the computer, for example PC-04.",
    )


def test_a_blocked_patron_cannot_start_a_session(card, branch, refused):
    PatronBlockFactory(patron=card.patron)
    refused(
        lambda: services.computer_session_start(
            card_number=card.number, branch=branch, workstation="PC-01", actor=None
        ),
        code=CirculationRefusal.BLOCKED,
    )
