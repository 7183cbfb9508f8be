"""Transit: a copy returned away from home (and wanted by no hold) travels home with a
transit slip; checking it in at home ends the transit; the list shows copies in transit
and those overdue in transit."""

import datetime

import pytest
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal
from circulation.models import Hold, Item, Transit
from circulation.selectors import transits_in_progress
from tests.circulation.test_desk import CHECKIN, desk_lines, get, post, slip_links
from tests.factories import HoldFactory, ItemFactory, LoanFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def lent_from_main(branch, card):
    item = ItemFactory(branch=branch, status=Item.Status.ON_LOAN, call_number="813 TWA")
    LoanFactory(item=item, patron=card.patron)
    return item


def test_a_copy_returned_away_from_home_goes_in_transit_home(
    lent_from_main, branch, other_branch, clerk
):
    result = services.loan_return(barcode=lent_from_main.barcode, actor=clerk, branch=other_branch)
    assert Item.objects.get(pk=lent_from_main.pk).status == Item.Status.IN_TRANSIT
    transit = result.transit
    assert (transit.from_branch, transit.to_branch, transit.reason) == (
        other_branch,
        branch,
        Transit.Reason.HOME,
    )
    assert result.message == f"returned, send home to {branch.name} (print a transit slip)"


def test_the_desks_check_in_line_says_to_send_it_home(lent_from_main, branch, other_branch, clerk):
    desk = signed_in(clerk)
    post(desk, CHECKIN, {"action": "branch", "branch": other_branch.pk})
    post(desk, CHECKIN, {"action": "item", "barcode": lent_from_main.barcode})
    assert desk_lines(get(desk, CHECKIN)) == [
        (
            "ok",
            lent_from_main.barcode,
            f"returned, send home to {branch.name}",
        )
    ]


def test_checking_it_in_at_another_branch_is_refused_and_at_home_ends_the_transit(
    lent_from_main, branch, other_branch, clerk, refused
):
    services.loan_return(barcode=lent_from_main.barcode, actor=clerk, branch=other_branch)
    refused(
        lambda: services.loan_return(
            barcode=lent_from_main.barcode, actor=clerk, branch=other_branch
        ),
        code=CirculationRefusal.IN_TRANSIT,
        message=f"This item is in transit to {branch.name}.",
    )
    result = services.loan_return(barcode=lent_from_main.barcode, actor=clerk, branch=branch)
    assert result.message == "arrived from transit"
    assert Item.objects.get(pk=lent_from_main.pk).status == Item.Status.AVAILABLE
    assert Transit.objects.get().received_on is not None


def test_a_returned_copy_that_fills_a_hold_travels_to_the_pickup_branch_instead(
    lent_from_main, branch, other_branch, clerk, patron
):
    hold = HoldFactory(title=lent_from_main.title, pickup_branch=branch)
    result = services.loan_return(barcode=lent_from_main.barcode, actor=clerk, branch=other_branch)
    assert result.hold == hold and result.transit is None
    transit = Transit.objects.get()
    assert (transit.to_branch, transit.reason) == (branch, Transit.Reason.HOLD)
    services.loan_return(barcode=lent_from_main.barcode, actor=clerk, branch=branch)
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.WAITING
    assert Transit.objects.get().received_on is not None


def test_the_list_marks_copies_overdue_in_transit(lent_from_main, branch, other_branch, clerk):
    long_ago = timezone.now() - datetime.timedelta(days=9)
    services.loan_return(
        barcode=lent_from_main.barcode, actor=clerk, branch=other_branch, now=long_ago
    )
    [row] = transits_in_progress(branch=branch)
    assert row.overdue
    assert transits_in_progress(branch=branch, now=long_ago)[0].overdue is False


def test_the_in_transit_page_and_the_slip(lent_from_main, branch, other_branch, clerk, card):
    services.loan_return(barcode=lent_from_main.barcode, actor=clerk, branch=other_branch)
    client = signed_in(clerk)
    page = client.get("/admin/circulation/in-transit/?all=1").content.decode()
    assert lent_from_main.barcode in page and "Transit slip" in page
    transit = Transit.objects.get()
    slip = client.get(f"/admin/circulation/transit-slip/?transit={transit.pk}").content.decode()
    assert f"To: {branch.name}" in slip and "813 TWA" in slip and 'class="receipt' in slip
    # The title travels with the copy (so staff at the other end can shelve it); no patron.
    assert lent_from_main.title.title in slip and card.patron.last_name not in slip
    assert (
        b"Choose a copy on the In transit page"
        in client.get("/admin/circulation/transit-slip/?transit=abc").content
    )


def test_each_check_in_line_links_to_the_slip_the_copy_needs(
    lent_from_main, branch, other_branch, clerk, card
):
    """Home in transit: its transit slip; on the hold shelf here: its hold slip; to a hold
    at another branch: its transit slip. Each opens the slip of that copy, and the slip
    leads back to Check in."""
    desk = signed_in(clerk)
    post(desk, CHECKIN, {"action": "branch", "branch": other_branch.pk})
    post(desk, CHECKIN, {"action": "item", "barcode": lent_from_main.barcode})
    transit = Transit.objects.get()
    label = f"Print the transit slip for {lent_from_main.barcode}"
    address = f"/admin/circulation/transit-slip/?transit={transit.pk}&from=checkin"
    assert slip_links(get(desk, CHECKIN)) == [(label, address)]
    slip = desk.get(address).content.decode()
    assert lent_from_main.barcode in slip and f"To: {branch.name}" in slip
    assert '<a href="/admin/circulation/checkin/" lang="en">Back to Check in</a>' in slip

    # A copy that fills a hold here goes on the hold shelf with its hold slip.
    here = ItemFactory(branch=other_branch, status=Item.Status.ON_LOAN)
    LoanFactory(item=here, patron=card.patron)
    hold_here = HoldFactory(title=here.title, pickup_branch=other_branch)
    post(desk, CHECKIN, {"action": "item", "barcode": here.barcode})
    # A copy that fills a hold at another branch travels there with a transit slip.
    there = ItemFactory(branch=other_branch, status=Item.Status.ON_LOAN)
    LoanFactory(item=there, patron=card.patron)
    HoldFactory(title=there.title, pickup_branch=branch)
    post(desk, CHECKIN, {"action": "item", "barcode": there.barcode})
    to_hold = Transit.objects.get(item=there)
    assert to_hold.reason == Transit.Reason.HOLD
    assert slip_links(get(desk, CHECKIN)) == [
        (
            f"Print the transit slip for {there.barcode}",
            f"/admin/circulation/transit-slip/?transit={to_hold.pk}&from=checkin",
        ),
        (
            f"Print the hold slip for {here.barcode}",
            f"/admin/circulation/hold-slip/?hold={hold_here.pk}&from=checkin",
        ),
        (label, address),
    ]
    slip = desk.get(f"/admin/circulation/hold-slip/?hold={hold_here.pk}&from=checkin")
    assert here.barcode in slip.content.decode()
