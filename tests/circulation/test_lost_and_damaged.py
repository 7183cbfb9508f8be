"""Lost and damaged copies: declared by staff or by the nightly job, charged (replacement
and processing fee, counted), waived when a lost copy is found; manual charges."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from circulation import services, tasks
from circulation.exceptions import CirculationRefusal
from circulation.models import Fine, Item, Loan
from stats.models import ChargeDay
from tests.factories import ItemFactory, LoanFactory
from tests.helpers import set_library_policy

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def on_loan(branch, card):
    item = ItemFactory(branch=branch, status=Item.Status.ON_LOAN, price=Decimal("32.00"))
    return LoanFactory(item=item, patron=card.patron)


def test_declaring_a_copy_on_loan_lost_charges_price_and_fee_and_closes_the_loan(
    on_loan, clerk, settings
):
    set_library_policy(lost_processing_fee=Decimal("5.00"))
    fines = services.item_declare_lost(barcode=on_loan.item.barcode, actor=clerk)
    assert [(f.reason, f.amount) for f in fines] == [
        (Fine.Reason.LOST, Decimal("32.00")),
        (Fine.Reason.PROCESSING, Decimal("5.00")),
    ]
    assert Loan.objects.get(pk=on_loan.pk).returned_at is not None
    assert Item.objects.get(pk=on_loan.item_id).status == Item.Status.LOST
    assert ChargeDay.objects.get(reason="lost").amount_charged == Decimal("32.00")
    assert ChargeDay.objects.get(reason="processing").amount_charged == Decimal("5.00")


def test_without_a_price_the_default_replacement_cost_is_charged(branch, card, clerk, settings):
    set_library_policy(default_replacement_cost=Decimal("19.99"))
    item = ItemFactory(branch=branch, status=Item.Status.ON_LOAN, price=None)
    LoanFactory(item=item, patron=card.patron)
    fines = services.item_declare_lost(barcode=item.barcode, actor=clerk)
    assert fines[0].amount == Decimal("19.99")


def test_the_nightly_job_marks_long_overdue_loans_lost(on_loan, branch, card, settings):
    set_library_policy(lost_after_days=30)
    recent = LoanFactory(
        item=ItemFactory(branch=branch, status=Item.Status.ON_LOAN), patron=card.patron
    )
    Loan.objects.filter(pk=on_loan.pk).update(
        checked_out_at=timezone.now() - 70 * DAY, due_at=timezone.now() - 40 * DAY
    )
    assert tasks.mark_long_overdue_lost() == 1
    assert Item.objects.get(pk=on_loan.item_id).status == Item.Status.LOST
    assert Item.objects.get(pk=recent.item_id).status == Item.Status.ON_LOAN


def test_a_lost_copy_found_has_its_unpaid_replacement_waived_and_the_fee_kept(on_loan, clerk):
    services.item_declare_lost(barcode=on_loan.item.barcode, actor=clerk)
    result = services.loan_return(barcode=on_loan.item.barcode, actor=clerk)
    assert result.message == "was marked lost, now found, unpaid replacement charge waived"
    lost = Fine.objects.get(reason=Fine.Reason.LOST)
    assert lost.waived_at is not None and lost.balance == 0
    assert Fine.objects.get(reason=Fine.Reason.PROCESSING).settled_at is None
    assert Item.objects.get(pk=on_loan.item_id).status == Item.Status.AVAILABLE


def test_a_paid_replacement_is_reported_for_a_refund(on_loan, clerk, settings):
    set_library_policy(lost_found_refund="keep")
    services.item_declare_lost(barcode=on_loan.item.barcode, actor=clerk)
    lost = Fine.objects.get(reason=Fine.Reason.LOST)
    services.fine_pay(fine=lost, amount="10.00", actor=clerk)
    result = services.loan_return(barcode=on_loan.item.barcode, actor=clerk)
    assert "$10.00 was paid for its replacement: refund it" in result.message
    assert Fine.objects.get(pk=lost.pk).waived_at is None


def test_damaged_takes_the_copy_out_and_may_charge_the_borrower(on_loan, librarian, refused):
    fine = services.item_declare_damaged(
        barcode=on_loan.item.barcode, actor=librarian, charge="7.50", note="water damage"
    )
    assert (fine.reason, fine.amount, fine.note) == (
        Fine.Reason.DAMAGED,
        Decimal("7.50"),
        "water damage",
    )
    assert Item.objects.get(pk=on_loan.item_id).status == Item.Status.DAMAGED
    refused(
        lambda: services.item_declare_damaged(barcode=on_loan.item.barcode, actor=librarian),
        code=CirculationRefusal.STATUS,
    )


def test_manual_charge_needs_a_listed_reason_and_the_permission(card, librarian, clerk, refused):
    fine = services.fine_charge_manual(
        patron=card.patron, amount="2.00", reason="card", note="lost card", actor=librarian
    )
    assert (fine.reason, fine.amount, fine.note) == ("card", Decimal("2.00"), "lost card")
    assert ChargeDay.objects.get(reason="card").amount_charged == Decimal("2.00")
    refused(
        lambda: services.fine_charge_manual(
            patron=card.patron, amount="2.00", reason="because", actor=librarian
        ),
        code=CirculationRefusal.REASON,
    )
    refused(
        lambda: services.fine_charge_manual(
            patron=card.patron, amount="-1", reason="other", actor=librarian
        ),
        code=CirculationRefusal.AMOUNT,
    )
    refused(
        lambda: services.fine_charge_manual(
            patron=card.patron, amount="1.00", reason="other", note=" ", actor=librarian
        ),
        code=CirculationRefusal.NOTE,
        message="For “Other”, say in the note what the charge is for.",
    )
    with pytest.raises(PermissionDenied):
        services.fine_charge_manual(patron=card.patron, amount="1", reason="other", actor=clerk)
