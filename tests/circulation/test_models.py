"""What the database itself refuses in circulation (constraints back
every rule they can). Rows are written with .objects.create, .update and bulk_create, so
no model validation stands between the test and the database."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from circulation.models import Fine, Hold, Loan
from tests.factories import (
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)
from tests.helpers import database_refuses

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def open_loan(item, patron=None, **kwargs):
    now = timezone.now()
    return Loan.objects.create(
        item=item,
        patron=patron or PatronFactory(),
        branch=item.branch,
        checked_out_at=kwargs.pop("checked_out_at", now),
        due_at=kwargs.pop("due_at", now + 21 * DAY),
        **kwargs,
    )


# -- loans -------------------------------------------------------------------------------


def test_an_item_cannot_be_on_loan_twice():
    item = ItemFactory()
    open_loan(item)
    with database_refuses():
        open_loan(item)
    assert Loan.objects.filter(item=item).count() == 1


def test_an_item_can_be_lent_again_once_returned():
    item = ItemFactory()
    first = open_loan(item)
    Loan.objects.filter(pk=first.pk).update(returned_at=timezone.now())
    second = open_loan(item)
    assert set(Loan.objects.filter(item=item)) == {first, second}
    # ...but the old loan cannot be reopened while the item is out again.
    with database_refuses():
        Loan.objects.filter(pk=first.pk).update(returned_at=None)


def test_two_open_loans_of_one_item_in_one_bulk_insert_are_refused():
    item = ItemFactory()
    now = timezone.now()
    loans = [
        Loan(
            item=item,
            patron=PatronFactory(),
            branch=item.branch,
            checked_out_at=now,
            due_at=now + DAY,
        )
        for _ in range(2)
    ]
    with database_refuses():
        Loan.objects.bulk_create(loans)


def test_a_loan_falls_due_after_it_was_checked_out():
    now = timezone.now()
    with database_refuses():
        open_loan(ItemFactory(), checked_out_at=now, due_at=now - DAY)


def test_an_open_loan_cannot_lose_its_patron():
    """Anonymising is for closed loans: an item out on loan always has a borrower.
    (Regression: loan_open_has_patron once tested returned_at__isnull=True and so never
    applied to an open loan.)"""
    loan = LoanFactory()
    with database_refuses():
        Loan.objects.filter(pk=loan.pk).update(patron=None)


def test_an_open_loan_cannot_be_created_without_a_patron():
    item = ItemFactory()
    now = timezone.now()
    with database_refuses():
        Loan.objects.create(item=item, patron=None, branch=item.branch, due_at=now + DAY)


# -- fines -------------------------------------------------------------------------------


def new_fine(**kwargs):
    options = {"patron": PatronFactory(), "reason": Fine.Reason.OVERDUE, "amount": Decimal("2")}
    return Fine.objects.create(**{**options, **kwargs})


@pytest.mark.parametrize("amount", [Decimal("-1.00"), Decimal("0.00")])
def test_a_fine_is_for_more_than_nothing(amount):
    with database_refuses():
        new_fine(amount=amount)


def test_a_payment_cannot_be_negative():
    with database_refuses():
        new_fine(amount=Decimal("2.00"), amount_paid=Decimal("-0.50"))


def test_a_fine_cannot_be_overpaid():
    with database_refuses():
        new_fine(amount=Decimal("2.00"), amount_paid=Decimal("2.01"))


def test_a_payment_recorded_later_cannot_overpay_or_go_negative():
    fine = FineFactory(amount=Decimal("5.00"))
    Fine.objects.filter(pk=fine.pk).update(amount_paid=Decimal("5.00"))  # paid in full: fine
    with database_refuses():
        Fine.objects.filter(pk=fine.pk).update(amount_paid=Decimal("5.01"))
    with database_refuses():
        Fine.objects.filter(pk=fine.pk).update(amount_paid=Decimal("-1.00"))
    fine.refresh_from_db()
    assert fine.amount_paid == Decimal("5.00")


def test_a_fine_is_settled_only_when_paid_or_waived():
    fine = FineFactory(amount=Decimal("5.00"), amount_paid=Decimal("1.00"))
    with database_refuses():
        Fine.objects.filter(pk=fine.pk).update(settled_at=timezone.now())


def test_an_unpaid_fine_cannot_lose_its_patron():
    fine = FineFactory()
    with database_refuses():
        Fine.objects.filter(pk=fine.pk).update(patron=None)


# -- holds -------------------------------------------------------------------------------


def new_hold(patron, title, **kwargs):
    return Hold.objects.create(
        patron=patron, title=title, pickup_branch=ItemFactory().branch, **kwargs
    )


def test_a_patron_holds_a_title_once_at_a_time():
    patron, title = PatronFactory(), TitleFactory()
    new_hold(patron, title)
    with database_refuses():
        new_hold(patron, title)
    with database_refuses():
        new_hold(patron, title, status=Hold.Status.IN_TRANSIT)


def test_a_patron_can_place_a_new_hold_after_cancelling_the_old_one():
    patron, title = PatronFactory(), TitleFactory()
    old = new_hold(patron, title)
    Hold.objects.filter(pk=old.pk).update(status=Hold.Status.CANCELLED, closed_at=timezone.now())
    new_hold(patron, title)
    new_hold(PatronFactory(), title)  # and anyone else may queue for it too
    assert Hold.objects.filter(title=title).count() == 3


def test_two_active_holds_in_one_bulk_insert_are_refused():
    patron, title = PatronFactory(), TitleFactory()
    branch = ItemFactory().branch
    with database_refuses():
        Hold.objects.bulk_create(
            [Hold(patron=patron, title=title, pickup_branch=branch) for _ in range(2)]
        )


def test_a_closed_hold_records_when_it_closed():
    hold = HoldFactory()
    with database_refuses():
        Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.CANCELLED)
