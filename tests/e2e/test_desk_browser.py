"""The circulation desk in a real browser: after "Done — next patron" nothing of the
patron can be brought back, neither by reloading nor by the back button."""

import datetime

import pytest
from django.utils import timezone

from circulation.models import Loan
from staff.roles import CIRCULATION_STAFF
from tests.e2e.accounts import sign_in, staff
from tests.e2e.shots import screenshot
from tests.factories import (
    BranchFactory,
    CardFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_done_leaves_nothing_of_the_patron_on_the_desk(page):
    branch = BranchFactory(code="main", name="Central Library")
    card = CardFactory(
        number="21234000000001", patron=PatronFactory(first_name="Avery", last_name="Lindqvist")
    )
    item = ItemFactory(branch=branch, title=TitleFactory(title="Pride and Prejudice"))
    staff("clerk", CIRCULATION_STAFF)
    sign_in(page, "clerk")
    page.goto("/admin/circulation/checkout/")
    page.fill("#id_card_number", card.number)
    page.keyboard.press("Enter")
    page.fill("#id_barcode", item.barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Checked out now")
    assert "Lindqvist" in page.inner_text("#content")
    assert "Pride and Prejudice" in page.inner_text("#content")

    page.get_by_role("button", name="Done — next patron").click()
    page.wait_for_selector("text=Done. Ready for the next patron.")
    for look_again in (page.reload, page.go_back):
        look_again()
        page.wait_for_load_state()
        content = page.inner_text("#content")
        assert "Lindqvist" not in content and "Pride and Prejudice" not in content
        assert "…0001" not in content
    assert page.outside_requests == []


def test_scanning_an_item_the_patron_already_has_points_to_renew(page, screenshots):
    branch = BranchFactory(code="main", name="Central Library")
    card = CardFactory(
        number="21234000000001", patron=PatronFactory(first_name="Avery", last_name="Lindqvist")
    )
    item = ItemFactory(branch=branch, status="on_loan", title=TitleFactory(title="Persuasion"))
    loan = LoanFactory(
        patron=card.patron,
        item=item,
        checked_out_at=timezone.now() - datetime.timedelta(days=18),
        due_at=timezone.now() + datetime.timedelta(days=3),
    )
    staff("clerk", CIRCULATION_STAFF)
    sign_in(page, "clerk")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/circulation/checkout/")
    page.fill("#id_card_number", card.number)
    page.keyboard.press("Enter")
    page.fill("#id_barcode", item.barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=This patron already has this item")
    assert "use Renew beside its due date" in page.inner_text("table.desk-lines")
    assert Loan.objects.get(pk=loan.pk).renewals == 0
    screenshot(page, path=str(screenshots / "desk-checkout-already-has.png"), full_page=True)
    page.get_by_role("button", name=f"Renew {item.barcode}").click()
    page.wait_for_selector("text=Renewed, now due")
    assert Loan.objects.get(pk=loan.pk).renewals == 1
