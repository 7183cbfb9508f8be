"""Every slip in a real browser: an 80 mm print page on one page, with a
Print button and no staff chrome, in a Spanish patron's Spanish; the desk's one-step flows
(cash tendered and change, a confirmation before a lost-item charge, every slip of a pull
list in one print). Screenshots at 1280 px and print PDFs at 80 mm."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from circulation import services
from circulation.models import Item, Loan
from patrons.models import Patron
from staff.roles import LIBRARIAN
from tests.e2e.accounts import sign_in, staff
from tests.e2e.axe import STRUCTURE, WCAG_21_AA, axe_context, report, violations
from tests.e2e.shots import screenshot
from tests.e2e.test_desk_rules_browser import assert_prints_on_80mm, card_for
from tests.factories import BranchFactory, FineFactory, ItemFactory, LoanFactory, TitleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def no_staff_chrome(page) -> None:
    assert page.locator("#header, .breadcrumbs, #nav-sidebar").count() == 0
    assert "Calumet staff" not in page.content()
    # The button is unhidden by the page's script: wait for it, as a clerk would.
    expect(page.get_by_role("button", name=re.compile("Print|Imprimir"))).to_be_visible()


@pytest.fixture
def librarian_desk(page):
    central = BranchFactory(code="main", name="Central Library")
    BranchFactory(code="east", name="East Side Branch")
    clerk = staff("librarian", LIBRARIAN)
    sign_in(page, "librarian")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/circulation/checkin/")
    page.select_option("#id_branch", label="Central Library")
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector("text=Now working at Central Library.")
    page.central, page.clerk = central, clerk
    return page


def test_a_spanish_patrons_receipts_print_in_spanish_on_one_80mm_page(
    librarian_desk, tmp_path, screenshots
):
    page = librarian_desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    Patron.objects.filter(pk=reader.patron_id).update(language="es")
    item = ItemFactory(branch=page.central, title=TitleFactory(title="Cien años de soledad"))
    FineFactory(patron=reader.patron, amount=Decimal("1.75"))

    page.goto("/admin/circulation/checkout/")
    page.fill("#id_card_number", reader.number)
    page.keyboard.press("Enter")
    page.fill("#id_barcode", item.barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"text={item.barcode}")
    page.get_by_role("link", name="Receipt (print or email)").click()
    page.wait_for_selector(".receipt")
    assert page.locator("html").get_attribute("lang") == "es"
    receipt = page.inner_text(".receipt")
    assert "Recibo de préstamo" in receipt and "Devolver el" in receipt
    no_staff_chrome(page)
    screenshot(page, path=str(screenshots / "slip-checkout-es.png"), full_page=True)
    assert pdf_pages(assert_prints_on_80mm(page, tmp_path, "checkout-es")) == 1

    # $5.00 for a $1.75 fine: the change is said on the page and printed on the receipt.
    page.goto("/admin/circulation/payment/")
    page.fill("#id_card_number", reader.number)
    page.keyboard.press("Enter")
    page.select_option("#method-all", "cash")
    page.fill("#tendered-all", "1.00")
    page.get_by_role("button", name="Pay everything ($1.75)").click()
    page.wait_for_selector("text=is less than the payment ($1.75). Nothing was taken.")
    page.select_option("#method-all", "cash")
    page.fill("#tendered-all", "5.00")
    page.get_by_role("button", name="Pay everything ($1.75)").click()
    page.wait_for_selector("text=Cash tendered $5.00: give $3.25 change.")
    page.get_by_role("link", name="Payment receipt").click()
    page.wait_for_selector(".receipt")
    receipt = page.inner_text(".receipt")
    assert "Recibo de pago" in receipt and "Efectivo" in receipt and "$3.25" in receipt
    no_staff_chrome(page)
    screenshot(page, path=str(screenshots / "slip-payment-es.png"), full_page=True)
    assert pdf_pages(assert_prints_on_80mm(page, tmp_path, "payment-es")) == 1
    assert page.outside_requests == []


def test_the_registration_slip_is_a_spanish_print_page(librarian_desk, tmp_path, screenshots):
    page = librarian_desk
    page.goto("/admin/patrons/patron/add/")
    page.fill("#id_first_name", "Lucía")
    page.fill("#id_last_name", "Ferrer")
    page.fill("#id_address_line1", "12 Lake Street")
    page.select_option("#id_language", "es")
    page.get_by_role("button", name=re.compile("Register")).click()
    page.wait_for_selector(".receipt")
    slip = page.inner_text(".receipt")
    assert "PIN temporal" in slip and "Lucía Ferrer" in slip and "Válida hasta" in slip
    no_staff_chrome(page)
    screenshot(page, path=str(screenshots / "slip-registration-es.png"), full_page=True)
    assert pdf_pages(assert_prints_on_80mm(page, tmp_path, "registration-es")) == 1


def test_pulled_holds_link_to_their_slips_and_print_in_one_go(librarian_desk, screenshots):
    page = librarian_desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    Patron.objects.filter(pk=reader.patron_id).update(language="es")
    holds = []
    for name in ("Persuasion", "Emma"):
        title = TitleFactory(title=name)
        copy = ItemFactory(branch=page.central, title=title)
        hold = services.hold_place(
            patron=reader.patron, title=title, pickup_branch=page.central, actor=page.clerk
        )
        holds.append((hold, copy))
    page.goto("/admin/circulation/desk/")
    assert "2 Holds to pull at Central Library" in " ".join(page.inner_text("#content").split())
    page.get_by_role("link", name=re.compile("Holds to pull at Central Library")).click()
    for hold, copy in holds:
        page.fill(f"#pull-{hold.pk}", copy.barcode)
        page.locator(f"#pull-{hold.pk}").press("Enter")
        page.wait_for_selector(f"text=Print the hold slip for {copy.barcode}")
    screenshot(page, path=str(screenshots / "desk-pulled.png"), full_page=True)
    page.get_by_role("link", name="Print all 2 slips").click()
    page.wait_for_selector(".slip-page")
    assert page.locator(".slip-page[lang=es]").count() == 2
    assert "Recoger en" in page.inner_text("main")
    no_staff_chrome(page)
    page.emulate_media(media="print")
    pdf = page.pdf(width="80mm", height="200mm", prefer_css_page_size=False)
    assert pdf_pages(pdf) == 2  # one slip to a page
    page.emulate_media(media="screen")


def test_declare_lost_asks_with_the_amount_first(librarian_desk, screenshots):
    page = librarian_desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    item = ItemFactory(branch=page.central, status=Item.Status.ON_LOAN, price=Decimal("24.95"))
    LoanFactory(item=item, patron=reader.patron)
    page.goto("/admin/circulation/lost-damaged/")
    page.fill("#lost_barcode", item.barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Its borrower will be charged")
    screenshot(page, path=str(screenshots / "desk-lost-confirm.png"), full_page=True)
    assert Item.objects.get(pk=item.pk).status == Item.Status.ON_LOAN  # nothing yet
    total = page.locator("input[name=total]").get_attribute("value")
    page.get_by_role("button", name=f"Declare lost and charge ${total}").click()
    page.wait_for_selector(f"text=Item {item.barcode} is marked lost.")
    assert Item.objects.get(pk=item.pk).status == Item.Status.LOST


def test_slips_pass_axe(browser, live_server, axe):
    central = BranchFactory(code="main", name="Central Library")
    reader = card_for("Avery", "Lindqvist", "21234000000001", central)
    Patron.objects.filter(pk=reader.patron_id).update(language="es")
    clerk = staff("librarian", LIBRARIAN)
    title = TitleFactory(title="Persuasion")
    copy = ItemFactory(branch=central, title=title)
    hold = services.hold_place(
        patron=reader.patron, title=title, pickup_branch=central, actor=clerk
    )
    services.hold_pull(hold=hold, barcode=copy.barcode, actor=clerk, branch=central)
    context = axe_context(browser, live_server.url)
    page = context.new_page()
    sign_in(page, "librarian")
    found = {}
    for url in (f"/admin/circulation/hold-slip/?hold={hold.pk}", "/admin/circulation/desk/"):
        page.goto(url)
        found[url] = violations(page, WCAG_21_AA, STRUCTURE if "slip" in url else ())
    context.close()
    assert not any(found.values()), report(found)


def test_a_librarian_overrides_the_renewal_limit_with_a_reason(librarian_desk, screenshots):
    page = librarian_desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    item = ItemFactory(branch=page.central, status=Item.Status.ON_LOAN)
    loan = LoanFactory(
        item=item,
        patron=reader.patron,
        branch=page.central,
        renewals=9,  # past any rule's limit
        checked_out_at=timezone.now() - datetime.timedelta(days=20),
        due_at=timezone.now() + datetime.timedelta(days=1),
    )
    page.goto("/admin/circulation/renew/")
    page.fill("#id_barcode", item.barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Renewal limit reached")
    # No reason: refused, nothing changed (the browser asks first; without it, the server).
    page.evaluate("document.querySelector('.override-form select').removeAttribute('required')")
    page.get_by_role("button", name=f"Override for {item.barcode}").click()
    page.wait_for_selector("text=Choose a reason to override the renewal limit.")
    assert Loan.objects.get(pk=loan.pk).renewals == 9
    page.locator(".override-form select").first.select_option("returning_soon")
    screenshot(page, path=str(screenshots / "desk-override.png"), full_page=True)
    page.get_by_role("button", name=f"Override for {item.barcode}").first.click()
    page.wait_for_selector("text=renewal limit overridden")
    assert Loan.objects.get(pk=loan.pk).renewals == 10
    page.goto(f"/admin/patrons/patron/{reader.patron_id}/change/")
    assert "Renewal limit overridden by librarian" in page.inner_text("#content")


def test_a_librarian_checks_out_a_copy_held_for_another_with_a_reason(librarian_desk, screenshots):
    page = librarian_desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    other = card_for("Blair", "Okafor", "21234000000002", page.central)
    title = TitleFactory(title="Persuasion")
    copy = ItemFactory(branch=page.central, title=title)
    hold = services.hold_place(
        patron=other.patron, title=title, pickup_branch=page.central, actor=page.clerk
    )
    services.hold_pull(hold=hold, barcode=copy.barcode, actor=page.clerk, branch=page.central)
    page.goto("/admin/circulation/checkout/")
    page.fill("#id_card_number", reader.number)
    page.keyboard.press("Enter")
    page.fill("#id_barcode", copy.barcode)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=This item is on the hold shelf for another patron.")
    # No reason: refused, nothing changed (the browser asks first; without it, the server).
    page.evaluate("document.querySelector('.override-form select').removeAttribute('required')")
    page.get_by_role("button", name=f"Override for {copy.barcode}").click()
    page.wait_for_selector("text=Choose a reason to override the hold for another patron.")
    assert not Loan.objects.filter(item=copy).exists()
    page.locator(".override-form select").first.select_option("library_error")
    screenshot(page, path=str(screenshots / "desk-override-hold-shelf.png"), full_page=True)
    page.get_by_role("button", name=f"Override for {copy.barcode}").first.click()
    page.wait_for_selector("text=hold for another patron overridden: Library error")
    assert Loan.objects.get(item=copy, returned_at__isnull=True).patron_id == reader.patron_id
    hold.refresh_from_db()
    assert hold.status == "placed" and hold.item_id is None  # first in line again
    page.goto(f"/admin/patrons/patron/{reader.patron_id}/change/")
    assert "Hold for another patron overridden by librarian" in page.inner_text("#content")


def test_a_payment_receipt_prints_again_from_the_patrons_page(
    librarian_desk, tmp_path, screenshots
):
    page = librarian_desk
    reader = card_for("Avery", "Lindqvist", "21234000000001", page.central)
    Patron.objects.filter(pk=reader.patron_id).update(language="es")
    fine = FineFactory(patron=reader.patron, amount=Decimal("1.75"))
    number = services.payment_take(
        patron=reader.patron,
        parts=[(fine, "1.75")],
        method="cash",
        branch=page.central,
        actor=page.clerk,
    )
    page.goto(f"/admin/patrons/patron/{reader.patron_id}/change/")
    payments = page.inner_text("#content")
    assert number in payments and "$1.75" in payments
    screenshot(page, path=str(screenshots / "patron-payments.png"), full_page=True)
    page.get_by_role("link", name="Print receipt").click()
    page.wait_for_selector(".receipt")
    assert page.locator("html").get_attribute("lang") == "es"
    receipt = page.inner_text(".receipt")
    assert "Recibo de pago" in receipt and "Copia, impresa de nuevo" in receipt
    assert number in receipt and "Efectivo" in receipt
    no_staff_chrome(page)
    screenshot(page, path=str(screenshots / "slip-payment-again-es.png"), full_page=True)
    assert pdf_pages(assert_prints_on_80mm(page, tmp_path, "payment-again-es")) == 1
    assert page.outside_requests == []
