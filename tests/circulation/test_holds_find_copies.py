"""Holds that find copies: a placed hold targets a copy on a shelf (preferring the pickup
branch), the branch pulls it to the hold shelf or sends it in transit; suspended holds
are passed over; the portal shows the queue and suspends."""

import datetime

import pytest
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal
from circulation.models import Hold, Item
from circulation.selectors import holds_to_pull
from tests.factories import CardFactory, HoldFactory, ItemFactory, LoanFactory, TitleFactory
from tests.helpers import portal_signed_in as portal_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def title():
    return TitleFactory(title="The Pull List")


def place(card, title, branch, clerk):
    return services.hold_place(patron=card.patron, title=title, pickup_branch=branch, actor=clerk)


def test_a_hold_targets_an_available_copy_at_the_pickup_branch_first(
    card, title, branch, other_branch, clerk
):
    ItemFactory(title=title, branch=other_branch)
    here = ItemFactory(title=title, branch=branch)
    hold = place(card, title, branch, clerk)
    assert hold.item == here and hold.status == Hold.Status.PLACED
    assert list(holds_to_pull(branch=branch)) == [hold]
    assert list(holds_to_pull(branch=other_branch)) == []


def test_pulling_at_the_pickup_branch_puts_the_copy_on_the_hold_shelf(card, title, branch, clerk):
    copy = ItemFactory(title=title, branch=branch)
    hold = place(card, title, branch, clerk)
    pulled = services.hold_pull(hold=hold, barcode=copy.barcode, actor=clerk, branch=branch)
    assert pulled.status == Hold.Status.WAITING and pulled.pickup_by is not None
    assert Item.objects.get(pk=copy.pk).status == Item.Status.ON_HOLD_SHELF
    assert list(holds_to_pull(branch=branch)) == []


def test_a_copy_elsewhere_is_pulled_into_transit_and_arrives_at_pickup(
    card, title, branch, other_branch, clerk
):
    copy = ItemFactory(title=title, branch=other_branch)
    hold = place(card, title, branch, clerk)
    assert list(holds_to_pull(branch=other_branch)) == [hold]
    services.hold_pull(hold=hold, barcode=copy.barcode, actor=clerk, branch=other_branch)
    hold.refresh_from_db()
    assert hold.status == Hold.Status.IN_TRANSIT
    assert Item.objects.get(pk=copy.pk).status == Item.Status.IN_TRANSIT
    result = services.loan_return(barcode=copy.barcode, actor=clerk, branch=branch)
    assert result.hold == hold and Hold.objects.get(pk=hold.pk).status == Hold.Status.WAITING


def test_pulling_the_wrong_copy_is_refused(card, title, branch, clerk, refused):
    ItemFactory(title=title, branch=branch)
    other = ItemFactory(branch=branch)
    hold = place(card, title, branch, clerk)
    refused(
        lambda: services.hold_pull(hold=hold, barcode=other.barcode, actor=clerk, branch=branch),
        code=CirculationRefusal.WRONG_COPY,
    )


def test_a_targeted_copy_checked_out_by_someone_else_is_replaced(
    card, title, branch, other_branch, clerk
):
    first = ItemFactory(title=title, branch=branch)
    second = ItemFactory(title=title, branch=other_branch)
    hold = place(card, title, branch, clerk)
    assert hold.item == first

    walk_in = CardFactory(number="21234567899999")
    services.loan_checkout(card_number=walk_in.number, barcode=first.barcode, actor=clerk)
    hold.refresh_from_db()
    assert hold.item == second


def test_two_holds_target_two_different_copies(card, title, branch, clerk):
    ItemFactory(title=title, branch=branch)
    ItemFactory(title=title, branch=branch)
    first = place(card, title, branch, clerk)
    second = HoldFactory(title=title, pickup_branch=branch)
    services.hold_target_copy(hold=second)
    second.refresh_from_db()
    assert first.item_id and second.item_id and first.item_id != second.item_id


def test_a_suspended_hold_is_passed_over_and_keeps_its_place(card, title, branch, clerk):
    copy = ItemFactory(title=title, branch=branch, status=Item.Status.ON_LOAN)
    LoanFactory(item=copy)
    hold = place(card, title, branch, clerk)
    later = HoldFactory(title=title, pickup_branch=branch)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    services.hold_suspend(hold=hold, until=tomorrow + datetime.timedelta(days=9), actor=clerk)
    result = services.loan_return(barcode=copy.barcode, actor=clerk, branch=branch)
    assert result.hold == later
    hold.refresh_from_db()
    assert hold.status == Hold.Status.PLACED and hold.suspended_until is not None


def test_a_suspension_must_be_in_the_future(card, title, branch, clerk, refused):
    ItemFactory(title=title, branch=branch, status=Item.Status.ON_LOAN)
    hold = place(card, title, branch, clerk)
    refused(
        lambda: services.hold_suspend(hold=hold, until=timezone.localdate(), actor=clerk),
        code=CirculationRefusal.UNTIL,
    )


def test_the_pull_list_page_lists_by_call_number_and_pulls(
    clerk, card, branch, other_branch, clerk_client
):
    t1, t2 = TitleFactory(title="Zebra"), TitleFactory(title="Aardvark")
    ItemFactory(title=t1, branch=branch, call_number="100 ABC")
    late = ItemFactory(title=t2, branch=branch, call_number="900 XYZ")
    place(card, t1, other_branch, clerk)
    hold2 = place(card, t2, branch, clerk)
    clerk_client.post("/admin/circulation/checkout/", {"action": "branch", "branch": branch.pk})
    html = clerk_client.get("/admin/circulation/holds-to-pull/").content.decode()
    assert html.index("100 ABC") < html.index("900 XYZ")
    assert card.patron.last_name not in html and "data-print" in html and "js/print.js" in html
    response = clerk_client.post(
        "/admin/circulation/holds-to-pull/", {"hold": hold2.pk, "barcode": late.barcode}
    )
    assert response.status_code == 302
    assert Hold.objects.get(pk=hold2.pk).status == Hold.Status.WAITING
    bad = clerk_client.post("/admin/circulation/holds-to-pull/", {"hold": "x"}, follow=True)
    assert b"Choose a hold from the list" in bad.content


def test_the_portal_suspends_a_hold_and_shows_the_queue_position(card, title, branch, clerk):
    ItemFactory(title=title, branch=branch, status=Item.Status.ON_LOAN)
    HoldFactory(title=title, pickup_branch=branch)  # someone is first in line
    hold = place(card, title, branch, clerk)
    client = portal_client(card)
    page = client.get("/portal/").content.decode()
    assert "Number 2 in line" in page and "Suspend until" in page
    until = timezone.localdate() + datetime.timedelta(days=14)
    response = client.post("/portal/holds/suspend/", {"hold": hold.pk, "until": until}, follow=True)
    assert f"Hold suspended until {until:%B} {until.day}." in response.content.decode()
    assert Hold.objects.get(pk=hold.pk).suspended_until == until
    bad = client.post("/portal/holds/suspend/", {"hold": hold.pk, "until": "soon"}, follow=True)
    assert "Enter a date such as" in bad.content.decode()
    client.post("/portal/holds/suspend/", {"hold": hold.pk, "until": ""})
    assert Hold.objects.get(pk=hold.pk).suspended_until is None
