"""The shelf check in a real browser: an inventory of a shelf with every kind of
discrepancy, scanned one barcode at a time (Enter sends each, as a scanner does), a file
with junk refused by line, the desk's check-in from the report; axe-core finds nothing on
its pages; and scanning works without JavaScript."""

import datetime

import pytest
from django.utils import timezone

from circulation.models import Item, Loan
from circulation.models.transit import Transit
from inventory.models import InventoryScan, InventorySession
from staff.roles import CIRCULATION_STAFF
from tests.e2e.accounts import sign_in, staff
from tests.e2e.axe import axe_context, report, violations
from tests.factories import (
    BranchFactory,
    CardFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _copy(branch, call_number, title, **fields):
    return ItemFactory(
        branch=branch, call_number=call_number, title=TitleFactory(title=title), **fields
    )


def _shelf():
    main = BranchFactory(code="main", name="Central Library")
    east = BranchFactory(code="east", name="East Side Branch")
    card = CardFactory(
        number="21234000000001", patron=PatronFactory(first_name="Avery", last_name="Lindqvist")
    )
    on_loan = _copy(main, "610 ABC", "Anatomy on loan", status=Item.Status.ON_LOAN)
    LoanFactory(
        patron=card.patron,
        item=on_loan,
        checked_out_at=timezone.now() - datetime.timedelta(days=3),
        due_at=timezone.now() + datetime.timedelta(days=18),
    )
    in_transit = _copy(main, "612 TRA", "Travelling home", status=Item.Status.IN_TRANSIT)
    Transit.objects.create(
        item=in_transit,
        from_branch=east,
        to_branch=main,
        reason=Transit.Reason.HOME,
        sent_on=timezone.localdate(),
    )
    return {
        "main": main,
        "on_shelf": _copy(main, "641.5 SMI", "Cooking on the shelf"),
        "missing": _copy(main, "650 JON", "Management gone missing"),
        "on_loan": on_loan,
        "in_transit": in_transit,
        "lost": _copy(main, "620 LOS", "Lost engineering", status=Item.Status.LOST),
        "other_branch": _copy(east, "630 AGR", "East's agriculture"),
        "misshelved": _copy(main, "800 LIT", "Literature misshelved"),
    }


def test_an_inventory_of_a_shelf_with_every_kind_of_discrepancy(axe, browser, live_server):
    shelf = _shelf()
    staff("clerk", CIRCULATION_STAFF)
    context = axe_context(browser, live_server.url)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "clerk")
    found = {}
    page.goto("/admin/inventory/inventory/")
    found["inventory"] = violations(page)
    page.select_option("#id_branch", label="Central Library")
    page.fill("#id_call_number_from", "600")
    page.fill("#id_call_number_to", "699")
    page.get_by_role("button", name="Start the inventory").click()
    page.wait_for_selector("text=Inventory started")
    assert page.evaluate("document.activeElement.id") == "id_barcode"

    barcodes = [
        shelf[key].barcode
        for key in ("on_shelf", "on_loan", "in_transit", "lost", "other_branch", "misshelved")
    ]
    for barcode in [*barcodes, "NOT-IN-CATALOG-1", shelf["on_shelf"].barcode]:
        page.fill("#id_barcode", barcode)
        page.keyboard.press("Enter")
        page.wait_for_selector(f".messagelist >> text={barcode}")
    assert "already scanned (counted once)" in page.inner_text(".messagelist")
    assert page.evaluate("document.activeElement.id") == "id_barcode"

    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "shelf.txt",
                "mimeType": "text/plain",
                "buffer": f"{shelf['missing'].barcode}\nnot a barcode\n".encode(),
            }
        ],
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("text=Nothing was saved")
    assert "(line 2)" in page.inner_text(".messagelist")

    content = page.inner_text("#content")
    for heading in (
        "On the shelf but recorded otherwise (3)",
        "Belongs to another branch (1)",
        "Outside the range (misshelved) (1)",
        "Unknown barcodes (1)",
        "Missing: expected on the shelf, not scanned (1)",
    ):
        assert heading in content
    assert "Lindqvist" not in content and "…0001" not in content
    found["session"] = violations(page)

    page.get_by_role("button", name=f"Check in {shelf['on_loan'].barcode}").click()
    page.wait_for_selector(f"text={shelf['on_loan'].barcode} checked in")
    assert Loan.objects.get(item=shelf["on_loan"]).returned_at is not None
    assert "On the shelf but recorded otherwise (2)" in page.inner_text("#content")
    assert "Lindqvist" not in page.inner_text("#content")

    page.get_by_role("link", name="Printable report").click()
    page.wait_for_load_state()
    assert shelf["missing"].barcode in page.inner_text("#content")
    found["printable report"] = violations(page)
    context.close()
    assert InventoryScan.objects.count() == 7
    if any(found.values()):
        pytest.fail(f"axe-core on the inventory pages:\n{report(found)}", pytrace=False)


def test_scanning_works_without_javascript(page_without_js):
    main = BranchFactory(code="main", name="Central Library")
    copy = _copy(main, "641.5 SMI", "Cooking on the shelf")
    clerk = staff("clerk", CIRCULATION_STAFF)
    session = InventorySession.objects.create(
        branch=main, started_by=clerk, started_on=timezone.localdate()
    )
    sign_in(page_without_js, "clerk")
    page_without_js.goto(f"/admin/inventory/inventory-session/?session={session.pk}")
    page_without_js.fill("#id_barcode", copy.barcode)
    page_without_js.keyboard.press("Enter")
    page_without_js.wait_for_selector("text=on the shelf.")
    assert InventoryScan.objects.filter(session=session, item=copy).exists()
