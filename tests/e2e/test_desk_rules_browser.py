"""The desk's circulation rules in a real browser: a clerk pulls holds from the list, checks
a copy in at the wrong branch and prints its transit slip, and prints the check-out and
payment receipts as PDF; every slip fits an 80 mm receipt printer."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from circulation import services
from circulation.models import FinePayment, Hold, Item
from staff.roles import CIRCULATION_STAFF
from tests.e2e.accounts import sign_in, staff
from tests.e2e.shots import screenshot
from tests.factories import (
    BranchFactory,
    CardFactory,
    FineFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

#: 80 mm in CSS pixels (96 per inch): the paper of a receipt printer.
RECEIPT_PX = 80 / 25.4 * 96


@pytest.fixture
def desk(page):
    """A clerk signed in, working at the Central Library."""
    central = BranchFactory(code="main", name="Central Library")
    east = BranchFactory(code="east", name="East Side Branch")
    clerk = staff("clerk", CIRCULATION_STAFF)
    sign_in(page, "clerk")
    page.goto("/admin/circulation/checkin/")
    page.select_option("#id_branch", label="Central Library")
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector("text=Now working at Central Library.")
    page.central, page.east, page.clerk = central, east, clerk
    return page


def card_for(first: str, last: str, number: str, branch):
    return CardFactory(
        number=number,
        patron=PatronFactory(first_name=first, last_name=last, home_branch=branch),
    )


def assert_prints_on_80mm(page, tmp_path, name: str) -> bytes:
    """The slip, laid out for print on 80 mm paper, overflows nowhere; the browser's print
    to PDF at 80 mm gives a PDF."""
    page.set_viewport_size({"width": int(RECEIPT_PX), "height": 900})
    page.emulate_media(media="print")
    sizes = page.evaluate(
        """() => {
            const receipt = document.querySelector('.receipt');
            const box = receipt.getBoundingClientRect();
            const rights = [...receipt.querySelectorAll('*')]
                .map(e => e.getBoundingClientRect().right);
            return {
                width: box.width,
                right: box.right,
                widest: Math.max(box.right, ...rights),
                page: document.documentElement.scrollWidth,
                inner: receipt.scrollWidth - receipt.clientWidth,
                buttons: [...document.querySelectorAll('.no-print')]
                    .filter(e => e.offsetParent !== null).length,
                // A barcode is scanned or typed from the slip: never split over two lines.
                broken: [...receipt.querySelectorAll('code')]
                    .filter(e => e.getClientRects().length > 1).map(e => e.textContent),
            };
        }"""
    )
    assert sizes["width"] <= RECEIPT_PX, sizes
    assert sizes["widest"] <= sizes["right"] + 0.5, sizes  # nothing sticks out of the slip
    assert sizes["page"] <= RECEIPT_PX, sizes  # no horizontal scrolling on the paper
    assert sizes["inner"] <= 0, sizes
    assert sizes["buttons"] == 0, sizes  # Print and Back are not printed
    assert sizes["broken"] == [], sizes
    pdf = page.pdf(width="80mm", height="200mm", prefer_css_page_size=False)
    assert pdf.startswith(b"%PDF-")
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    # On A4 the slip prints as the same narrow column.
    page.set_viewport_size({"width": 794, "height": 1123})
    assert (
        page.evaluate(
            "() => [...document.querySelectorAll('.receipt code')]"
            ".filter(e => e.getClientRects().length > 1).length"
        )
        == 0
    )
    (tmp_path / f"{name}-a4.pdf").write_bytes(page.pdf(format="A4"))
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    return pdf


def test_a_clerk_pulls_holds_to_the_hold_shelf_and_into_transit(desk):
    page = desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    other = card_for("Basil", "Okonkwo", "21234000000002", page.east)
    here_title = TitleFactory(title="Persuasion")
    there_title = TitleFactory(title="Middlemarch")
    here_copy = ItemFactory(branch=page.central, title=here_title, call_number="FIC AUS")
    there_copy = ItemFactory(branch=page.central, title=there_title, call_number="FIC ELI")
    for_here = services.hold_place(
        patron=reader.patron, title=here_title, pickup_branch=page.central, actor=page.clerk
    )
    for_there = services.hold_place(
        patron=other.patron, title=there_title, pickup_branch=page.east, actor=page.clerk
    )

    page.goto("/admin/circulation/holds-to-pull/")
    rows = page.locator("table.pull-list tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().startswith("FIC AUS")  # in shelf order
    content = page.inner_text("#content")
    assert "Lindqvist" not in content and "Okonkwo" not in content  # no patron named
    expect(page.get_by_role("button", name="Print the list")).to_be_visible()

    page.fill(f"#pull-{for_here.pk}", here_copy.barcode)
    page.locator(f"#pull-{for_here.pk}").press("Enter")
    page.wait_for_selector("text=Pulled: put it on the hold shelf. Print its slip from the list")
    # The pulled copy's line links to its hold slip, at once.
    assert page.get_by_role("link", name=f"Print the hold slip for {here_copy.barcode}").count()
    page.fill(f"#pull-{for_there.pk}", there_copy.barcode)
    page.locator(f"#pull-{for_there.pk}").press("Enter")
    page.wait_for_selector("text=Pulled: send it to East Side Branch (in transit).")
    assert page.locator("table.pull-list").count() == 0
    assert Hold.objects.get(pk=for_here.pk).status == Hold.Status.WAITING
    assert Hold.objects.get(pk=for_there.pk).status == Hold.Status.IN_TRANSIT
    assert Item.objects.get(pk=there_copy.pk).status == Item.Status.IN_TRANSIT

    # The hold slip for the shelf: initials and the card's last digits, no title.
    page.goto("/admin/circulation/hold-shelf/")
    page.locator("tr", has_text=here_copy.barcode).get_by_role("link", name="Hold slip").click()
    page.wait_for_selector(".receipt")
    slip = page.inner_text(".receipt")
    assert "A.L." in slip and "…0001" in slip
    assert "Persuasion" not in slip and "Lindqvist" not in slip
    assert "Calumet staff" not in slip  # a slip names the library, not the staff site
    assert page.outside_requests == []


def test_the_hold_slip_prints_a_14_digit_barcode_on_one_line_on_80mm(desk, tmp_path):
    """The widest label ("On the shelf until") must not push a long barcode onto two lines."""
    page = desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    title = TitleFactory(title="Persuasion")
    copy = ItemFactory(branch=page.central, title=title, barcode="31234000123456")
    hold = services.hold_place(
        patron=reader.patron, title=title, pickup_branch=page.central, actor=page.clerk
    )
    services.hold_pull(hold=hold, barcode=copy.barcode, actor=page.clerk, branch=page.central)
    page.goto(f"/admin/circulation/hold-slip/?hold={hold.pk}")
    page.wait_for_selector(".receipt")
    assert "31234000123456" in page.inner_text(".receipt")
    assert_prints_on_80mm(page, tmp_path, "hold-slip")


def test_a_copy_checked_in_at_the_wrong_branch_goes_home_with_a_transit_slip(
    desk, tmp_path, screenshots
):
    page = desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    stray = ItemFactory(
        branch=page.east,
        status=Item.Status.ON_LOAN,
        call_number="641.5 JAM",
        title=TitleFactory(title="The Joy of Cooking"),
    )
    LoanFactory(item=stray, patron=reader.patron)

    page.goto("/admin/circulation/checkin/")
    page.fill("#id_barcode", stray.barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=returned, send home to East Side Branch")
    assert Item.objects.get(pk=stray.pk).status == Item.Status.IN_TRANSIT

    screenshot(page, path=str(screenshots / "desk-checkin-transit.png"), full_page=True)
    # The check-in line links to this copy's slip, which leads back to Check in.
    page.get_by_role("link", name=f"Print the transit slip for {stray.barcode}").click()
    page.wait_for_selector(".receipt")
    assert stray.barcode in page.inner_text(".receipt")
    page.get_by_role("link", name="Back to Check in").click()
    page.wait_for_selector(f"text={stray.barcode}")

    page.get_by_role("navigation", name="Desk").get_by_role("link", name="In transit").click()
    page.get_by_role("link", name="Transit slip").click()
    page.wait_for_selector(".receipt")
    slip = page.inner_text(".receipt")
    assert "To: East Side Branch" in slip and "Central Library" in slip
    assert stray.barcode in slip and "641.5 JAM" in slip
    assert "The Joy of Cooking" in slip and "Lindqvist" not in slip  # the title, no patron
    expect(page.get_by_role("button", name="Print")).to_be_visible()  # the CSP-safe script ran
    assert_prints_on_80mm(page, tmp_path, "transit-slip")


def test_the_check_out_and_payment_receipts_print_on_80mm(desk, tmp_path, screenshots):
    page = desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    long_title = TitleFactory(
        title="The Remarkable and Thoroughly Unabridged Chronicles of a Very Long Title Indeed"
    )
    items = [
        ItemFactory(branch=page.central, title=long_title),
        ItemFactory(branch=page.central, item_type="dvd", title=TitleFactory(title="Vertigo")),
    ]
    FineFactory(patron=reader.patron, amount=Decimal("2.50"))
    FineFactory(patron=reader.patron, reason="printing", amount=Decimal("0.60"))

    page.goto("/admin/circulation/checkout/")
    page.fill("#id_card_number", reader.number)
    page.keyboard.press("Enter")
    for item in items:
        page.fill("#id_barcode", item.barcode)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"text={item.barcode}")
    page.get_by_role("link", name="Receipt (print or email)").click()
    page.wait_for_selector(".receipt")
    receipt = page.inner_text(".receipt")
    for item in items:
        due = timezone.localtime(item.loans.get().due_at)
        assert f"Due {due:%a %b} {due.day} {due:%Y}" in receipt
    assert "Vertigo" in receipt and "Chronicles" in receipt
    screenshot(page, path=str(screenshots / "desk-checkout-receipt.png"), full_page=True)
    assert_prints_on_80mm(page, tmp_path, "checkout-receipt")

    page.goto("/admin/circulation/payment/")
    page.fill("#id_card_number", reader.number)
    page.keyboard.press("Enter")
    page.select_option("#method-all", "card")
    page.get_by_role("button", name="Pay everything ($3.10)").click()
    page.wait_for_selector("text=Nothing is owed now.")
    number = FinePayment.objects.values_list("number", flat=True).first()
    assert number == f"MAIN-{timezone.localdate():%Y%m%d}-0001"
    page.get_by_role("link", name="Payment receipt").click()
    page.wait_for_selector(".receipt")
    receipt = page.inner_text(".receipt")
    assert f"No. {number}" in receipt and "Credit or debit card" in receipt
    assert "Overdue" in receipt and "Printing and copies" in receipt and "$3.10" in receipt
    screenshot(page, path=str(screenshots / "desk-payment-receipt.png"), full_page=True)
    assert_prints_on_80mm(page, tmp_path, "payment-receipt")
    assert page.outside_requests == []
