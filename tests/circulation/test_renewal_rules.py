"""Renewals that mean something: the same-day renewal that moves nothing is refused (desk
and portal "Renew all"), and an overdue loan's late days are charged or forgiven."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal
from circulation.models import Fine, Loan
from circulation.selectors.renewals import renewal_refusal, renewal_refusals
from stats.models import ChargeDay, CirculationDay
from tests.circulation.conftest import end_of_day
from tests.circulation.test_desk import RENEW, desk_lines, get, post
from tests.factories import ItemFactory
from tests.helpers import set_library_policy

DAY = datetime.timedelta(days=1)


@pytest.fixture
def now():
    return timezone.make_aware(datetime.datetime(2026, 3, 10, 11, 0))


def test_renewing_on_the_day_of_checkout_is_refused_and_uses_no_renewal(
    card, clerk, branch, book_policy, now, refused
):
    item = ItemFactory(branch=branch)
    loan = services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=clerk, now=now
    )
    assert renewal_refusal(loan=loan, now=now).startswith(
        "Renewing today would not move the due date"
    )
    refused(
        lambda: services.loan_renew(loan=loan, actor=clerk, now=now),
        code=CirculationRefusal.RENEWAL,
    )
    assert Loan.objects.get(pk=loan.pk).renewals == 0
    # The next day it moves the due date by one day, and counts.
    renewed = services.loan_renew(loan=loan, actor=clerk, now=now + DAY)
    assert renewed.due_at == end_of_day(now + 22 * DAY) and renewed.renewals == 1
    assert renewed.renewal_note == ""
    assert sum(CirculationDay.objects.values_list("renewals", flat=True)) == 1


def test_renew_all_on_the_day_of_checkout_renews_nothing(card, clerk, branch, book_policy):
    item = ItemFactory(branch=branch)
    loan = services.loan_checkout(card_number=card.number, barcode=item.barcode, actor=clerk)
    refusals = renewal_refusals(loans=[loan])
    assert refusals[loan.pk].startswith("Renewing today would not move the due date")


def test_renewing_an_overdue_loan_charges_the_late_days_by_default(
    card, clerk, lend, book_policy, now
):
    loan = lend(card.patron, due_in_days=-5, now=now)  # 5 days late; grace 1, $0.25 a day
    renewed = services.loan_renew(loan=loan, actor=clerk, now=now)
    fine = Fine.objects.get(loan=loan)
    assert (fine.reason, fine.amount) == (Fine.Reason.OVERDUE, Decimal("1.25"))
    assert renewed.renewal_note == "overdue fine of $1.25 charged for the late days"
    assert ChargeDay.objects.get(reason=Fine.Reason.OVERDUE).amount_charged == Decimal("1.25")
    # Returned late again later: only the new late days, and the cap counts both.
    result = services.loan_return(barcode=loan.item.barcode, actor=clerk, now=now + 24 * DAY)
    assert result.fine.amount == Decimal("0.75")


def test_the_overdue_fine_cap_counts_what_a_renewal_charged(card, clerk, lend, book_policy, now):
    loan = lend(card.patron, due_in_days=-12, now=now)  # $3.00 charged at renewal
    services.loan_renew(loan=loan, actor=clerk, now=now)
    result = services.loan_return(barcode=loan.item.barcode, actor=clerk, now=now + 40 * DAY)
    assert result.fine.amount == Decimal("2.00")  # the cap is $5.00 per loan


def test_renewing_an_overdue_loan_can_forgive_the_late_days(
    card, clerk, lend, book_policy, now, settings
):
    set_library_policy(renew_overdue_charge="forgive")
    loan = lend(card.patron, due_in_days=-5, now=now)
    renewed = services.loan_renew(loan=loan, actor=clerk, now=now)
    assert not Fine.objects.exists()
    assert renewed.renewal_note == "the late days were forgiven"


def test_the_desk_line_says_the_late_days_were_charged(
    card, lend, book_policy, clerk_client, branch
):
    post(
        clerk_client,
        reverse("admin:circulation_checkout"),
        {"action": "branch", "branch": branch.pk},
    )
    loan = lend(card.patron, due_in_days=-5)
    post(clerk_client, RENEW, {"action": "item", "barcode": loan.item.barcode})
    [(result, _barcode, text)] = desk_lines(get(clerk_client, RENEW))
    assert result == "ok" and text.endswith("; overdue fine of $1.25 charged for the late days")
