"""The circulation desk: refusals of each service, a whole desk shift through the admin
as a clerk, roles, and the race of two clerks on one item."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.test import Client
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import CirculationRule, Fine, Hold, Item, Loan
from circulation.selectors.renewals import renewal_refusal
from core.refusals import RefusalCode
from patrons.exceptions import CardRefused, PatronRefusal
from patrons.models import Card
from privacy.models import RetentionPolicy
from tests.circulation.conftest import default_rule, type_rule
from tests.factories import (
    BranchFactory,
    CardFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronBlockFactory,
    PatronFactory,
    StaffUserFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return BranchFactory(code="main", name="Central Library")


@pytest.fixture
def card(branch):
    return CardFactory(number="21234888800001", patron=PatronFactory(home_branch=branch))


def refused(call, code: RefusalCode):
    assert isinstance(code, RefusalCode), code
    before = (Loan.objects.count(), Fine.objects.count(), Hold.objects.count())
    with pytest.raises((CirculationRefused, CardRefused)) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    assert (Loan.objects.count(), Fine.objects.count(), Hold.objects.count()) == before
    return caught.value.message


# -- check-out refusals ---------------------------------------------------------------------


def test_check_out_sets_the_due_date_from_the_item_type(card, branch, clerk):
    item = ItemFactory(branch=branch, item_type=Item.ItemType.DVD)
    loan = services.loan_checkout(card_number=card.number, barcode=item.barcode, actor=clerk)
    days = type_rule("dvd").get().loan_days
    due = timezone.localtime(loan.due_at)
    assert due.date() == timezone.localdate() + datetime.timedelta(days=days)
    assert (due.hour, due.minute) == (23, 59)
    item.refresh_from_db()
    assert item.status == Item.Status.ON_LOAN
    assert loan.checked_out_by == clerk


def test_check_out_refusals(card, branch, clerk, settings):
    item = ItemFactory(branch=branch)
    checkout = lambda number=card.number, barcode=item.barcode: services.loan_checkout(  # noqa: E731
        card_number=number, barcode=barcode, actor=clerk
    )
    refused(lambda: checkout(number="29999999999999"), PatronRefusal.UNKNOWN_CARD)
    refused(lambda: checkout(barcode="nope"), CirculationRefusal.UNKNOWN_ITEM)

    lost = CardFactory(status=Card.Status.LOST)
    refused(lambda: checkout(number=lost.number), PatronRefusal.LOST_CARD)
    expired = CardFactory(patron=PatronFactory(card_expires_on=datetime.date(2020, 1, 1)))
    assert "expired" in refused(lambda: checkout(number=expired.number), PatronRefusal.EXPIRED_CARD)

    block = PatronBlockFactory(patron=card.patron)
    assert "suspended" in refused(checkout, CirculationRefusal.BLOCKED)
    block.lifted_at = timezone.now()
    block.save()

    FineFactory(patron=card.patron, amount=Decimal("12.00"))
    assert "$12.00" in refused(checkout, CirculationRefusal.BALANCE)
    Fine.objects.update(amount_paid=Decimal("12.00"), settled_at=timezone.now())

    for status in (Item.Status.MISSING, Item.Status.LOST, Item.Status.WITHDRAWN):
        Item.objects.filter(pk=item.pk).update(status=status)
        refused(checkout, CirculationRefusal.UNAVAILABLE)
    Item.objects.filter(pk=item.pk).update(status=Item.Status.AVAILABLE)

    CirculationRule.objects.filter(pk=default_rule().pk).update(max_loans=1)
    LoanFactory(patron=card.patron)
    assert "Loan limit" in refused(checkout, CirculationRefusal.LOAN_LIMIT)
    CirculationRule.objects.filter(pk=default_rule().pk).update(max_loans=30)

    services.loan_checkout(card_number=card.number, barcode=item.barcode, actor=clerk)
    other = CardFactory()
    refused(lambda: checkout(number=other.number), CirculationRefusal.ON_LOAN)


def test_an_item_on_the_hold_shelf_goes_only_to_its_patron(card, branch, clerk):
    hold = HoldFactory(waiting=True, pickup_branch=branch)
    stranger = CardFactory()
    refused(
        lambda: services.loan_checkout(
            card_number=stranger.number, barcode=hold.item.barcode, actor=clerk
        ),
        CirculationRefusal.HELD_FOR_OTHER,
    )
    own = CardFactory(patron=hold.patron)
    services.loan_checkout(card_number=own.number, barcode=hold.item.barcode, actor=clerk)
    hold.refresh_from_db()
    assert hold.status == Hold.Status.FULFILLED


# -- returns, fines, holds --------------------------------------------------------------------


def test_a_late_return_is_fined_by_the_policy(card, branch, clerk, now):
    policy = type_rule("book").get()
    loan = LoanFactory(
        patron=card.patron,
        item=ItemFactory(branch=branch, status=Item.Status.ON_LOAN),
        checked_out_at=now - datetime.timedelta(days=30),
        due_at=now - datetime.timedelta(days=5),
    )
    result = services.loan_return(barcode=loan.item.barcode, actor=clerk, now=now)
    assert result.fine.amount == min(policy.daily_fine * 5, policy.max_fine)
    assert result.message == f"returned, fine assessed ${result.fine.amount}"
    within_grace = LoanFactory(
        patron=card.patron,
        item=ItemFactory(branch=branch, status=Item.Status.ON_LOAN),
        checked_out_at=now - datetime.timedelta(days=30),
        due_at=now - datetime.timedelta(days=policy.grace_days),
    )
    assert (
        services.loan_return(barcode=within_grace.item.barcode, actor=clerk, now=now).fine is None
    )
    capped = LoanFactory(
        patron=card.patron,
        item=ItemFactory(branch=branch, status=Item.Status.ON_LOAN),
        checked_out_at=now - datetime.timedelta(days=400),
        due_at=now - datetime.timedelta(days=300),
    )
    assert (
        services.loan_return(barcode=capped.item.barcode, actor=clerk, now=now).fine.amount
        == policy.max_fine
    )


def test_a_return_traps_the_item_for_the_first_hold_and_emails_no_title(
    card, branch, clerk, django_capture_on_commit_callbacks
):
    title = TitleFactory(title="A Book Nobody Should Know About")
    loan = LoanFactory(item=ItemFactory(title=title, branch=branch, status=Item.Status.ON_LOAN))
    later = HoldFactory(title=title, pickup_branch=branch)
    first = HoldFactory(
        title=title,
        pickup_branch=branch,
        patron=card.patron,
        placed_at=later.placed_at - datetime.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = services.loan_return(barcode=loan.item.barcode, actor=clerk, branch=branch)
    first.refresh_from_db()
    assert first.status == Hold.Status.WAITING and first.pickup_by is not None
    assert result.message == "returned, put on hold shelf for card …0001"
    assert len(mail.outbox) == 1
    assert "A Book Nobody" not in mail.outbox[0].body


def test_returning_an_item_not_on_loan_is_a_message(branch, clerk):
    item = ItemFactory(branch=branch)
    assert (
        refused(
            lambda: services.loan_return(barcode=item.barcode, actor=clerk),
            CirculationRefusal.NOT_ON_LOAN,
        )
        == "This item is not checked out."
    )


def test_renewal_refusals(card, branch, clerk, now):
    loan = LoanFactory(
        patron=card.patron, item=ItemFactory(branch=branch, status=Item.Status.ON_LOAN)
    )
    assert renewal_refusal(loan=loan) is None
    HoldFactory(title=loan.item.title)
    assert "Another patron" in refused(
        lambda: services.loan_renew(loan=loan, actor=clerk), CirculationRefusal.RENEWAL
    )
    Hold.objects.all().delete()
    Loan.objects.filter(pk=loan.pk).update(renewals=type_rule("book").get().max_renewals)
    loan.refresh_from_db()
    assert "limit" in refused(
        lambda: services.loan_renew(loan=loan, actor=clerk), CirculationRefusal.RENEWAL
    )
    Loan.objects.filter(pk=loan.pk).update(
        renewals=0,
        checked_out_at=now - datetime.timedelta(days=60),
        due_at=now - datetime.timedelta(days=30),
    )
    loan.refresh_from_db()
    assert "Overdue" in refused(
        lambda: services.loan_renew(loan=loan, actor=clerk), CirculationRefusal.RENEWAL
    )


def test_one_active_hold_per_patron_and_title(card, clerk, branch):
    title = ItemFactory().title
    services.hold_place(patron=card.patron, title=title, pickup_branch=branch, actor=clerk)
    refused(
        lambda: services.hold_place(
            patron=card.patron, title=title, pickup_branch=branch, actor=clerk
        ),
        CirculationRefusal.DUPLICATE,
    )


def test_payments_and_waivers(card, clerk, librarian):
    fine = FineFactory(patron=card.patron, amount=Decimal("3.00"))
    services.fine_pay(fine=fine, amount="1.25", actor=clerk)
    fine.refresh_from_db()
    assert fine.balance == Decimal("1.75") and fine.settled_at is None
    refused(
        lambda: services.fine_pay(fine=fine, amount="2.00", actor=clerk),
        CirculationRefusal.OVERPAYMENT,
    )
    refused(
        lambda: services.fine_pay(fine=fine, amount="-1", actor=clerk), CirculationRefusal.AMOUNT
    )
    refused(
        lambda: services.fine_pay(fine=fine, amount="lots", actor=clerk), CirculationRefusal.AMOUNT
    )
    with pytest.raises(PermissionDenied):
        services.fine_waive(fine=fine, reason="hardship", actor=clerk)
    refused(
        lambda: services.fine_waive(fine=fine, reason="  ", actor=librarian),
        CirculationRefusal.REASON,
    )
    services.fine_waive(fine=fine, reason="hardship", actor=librarian)
    fine.refresh_from_db()
    assert fine.settled_at is not None and fine.balance == 0


# -- a whole shift through the admin ---------------------------------------------------------------


def test_a_clerks_desk_shift(card, branch, clerk):
    client = Client()
    client.force_login(clerk)
    items = [ItemFactory(branch=branch) for _ in range(2)]
    out_already = LoanFactory(item=ItemFactory(branch=branch, status=Item.Status.ON_LOAN))

    client.post("/admin/circulation/checkout/", {"action": "card", "card_number": card.number})
    for barcode in [items[0].barcode, out_already.item.barcode, items[1].barcode]:
        response = client.post(
            "/admin/circulation/checkout/", {"action": "item", "barcode": barcode}
        )
        assert response.status_code == 302 and "2123" not in response["Location"]
    page = client.get("/admin/circulation/checkout/").content.decode()
    assert page.count(">OK<") == 2 and "already on loan" in page
    assert Loan.objects.filter(patron=card.patron, returned_at__isnull=True).count() == 2
    assert "title" not in str(client.session["calumet_desk"]).lower()

    # Check in an item with a hold: trapped for the first patron in line.
    hold = HoldFactory(title=out_already.item.title, pickup_branch=branch, patron=card.patron)
    client.post(
        "/admin/circulation/checkin/", {"action": "item", "barcode": out_already.item.barcode}
    )
    assert (
        "on hold for a patron — put it on the hold shelf"
        in client.get("/admin/circulation/checkin/").content.decode()
    )
    hold.refresh_from_db()
    assert hold.status == Hold.Status.WAITING

    # Renew a loan (due in two days: renewing on the day of check-out would move nothing).
    Loan.objects.filter(item=items[0], returned_at__isnull=True).update(
        due_at=timezone.now() + datetime.timedelta(days=2)
    )
    client.post("/admin/circulation/renew/", {"action": "item", "barcode": items[0].barcode})
    assert "renewed, now due" in client.get("/admin/circulation/renew/").content.decode()

    # Take a partial payment.
    fine = FineFactory(patron=card.patron, amount=Decimal("4.00"))
    client.post("/admin/circulation/payment/", {"action": "card", "card_number": card.number})
    client.post(
        "/admin/circulation/payment/",
        {"action": "pay", "fine": fine.pk, "amount": "1.50", "method": "cash"},
    )
    page = client.get("/admin/circulation/payment/").content.decode()
    assert "$2.50 still owed" in page and "taken (cash), receipt " in page
    fine.refresh_from_db()
    assert fine.amount_paid == Decimal("1.50")


def test_desk_pages_need_a_role(client, card):
    nobody = StaffUserFactory(username="no-role")
    client.force_login(nobody)
    for page in ("checkout", "checkin", "renew", "hold-shelf", "payment"):
        assert client.get(f"/admin/circulation/{page}/").status_code == 403


# -- roles ---------------------------------------------------------------------------------


def test_roles_through_the_admin(clerk, librarian, director, card):
    fine = FineFactory(patron=card.patron)
    policy = RetentionPolicy.objects.get(kind="loan")
    url = f"/admin/privacy/retentionpolicy/{policy.pk}/change/"
    clerks, librarians, directors = Client(), Client(), Client()
    clerks.force_login(clerk)
    librarians.force_login(librarian)
    directors.force_login(director)

    assert clerks.get("/admin/circulation/checkout/").status_code == 200
    assert clerks.get("/admin/circulation/checkin/").status_code == 200
    assert clerks.get(url).status_code == 403
    assert clerks.get("/admin/auditlog/logentry/").status_code == 403
    waive = {
        "action": "waive_selected",
        "_selected_action": [fine.pk],
        "apply": "1",
        "reason": "goodwill",
    }
    clerks.post("/admin/circulation/fine/", waive)
    fine.refresh_from_db()
    assert fine.waived_at is None  # the action is not offered to a clerk

    librarians.post("/admin/circulation/fine/", waive)
    fine.refresh_from_db()
    assert fine.waived_at is not None and fine.waive_reason == "goodwill"

    assert librarians.post(url, {"days": 30}).status_code == 403
    assert directors.post(url, {"days": 30}).status_code == 302
    policy.refresh_from_db()
    assert policy.days == 30


def test_the_raw_loan_form_is_read_only_but_for_superusers(clerk, card):
    loan = LoanFactory(patron=card.patron)
    client = Client()
    client.force_login(clerk)
    url = f"/admin/circulation/loan/{loan.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"renewals": 9}).status_code == 403
    loan.refresh_from_db()
    assert loan.renewals == 0


# -- the race -------------------------------------------------------------------------------------


@pytest.mark.postgres("SQLite serialises every write transaction anyway")
@pytest.mark.django_db(transaction=True)
def test_two_clerks_checking_out_one_item_give_exactly_one_loan():
    branch = BranchFactory()
    clerk = StaffUserFactory(username="race-clerk")
    for _ in range(5):
        item = ItemFactory(branch=branch)
        cards = [CardFactory(), CardFactory()]
        barrier = threading.Barrier(2)
        outcomes = []

        def attempt(number, item=item, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait()
                services.loan_checkout(card_number=number, barcode=item.barcode, actor=clerk)
                outcomes.append("loan")
            except CirculationRefused as refusal:
                outcomes.append(refusal.code)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt, args=(c.number,)) for c in cards]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["loan", "on_loan"]
        assert Loan.objects.filter(item=item, returned_at__isnull=True).count() == 1
