"""Slips printed at the desk: every slip is a print page in the
patron's language with no staff chrome; transit slips name the title; slips of a check-in
session or a pull list print in one go; the hold slip link after "Pulled"; cash tendered
and change due; the desk home counts the holds to pull at the desk's branch."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from circulation import services
from circulation.models import Fine, FinePayment, Hold
from patrons.models import Patron
from tests.circulation.test_desk import CHECKOUT, get, post, shows
from tests.factories import DEFAULT_PIN, FineFactory, ItemFactory, LoanFactory, TitleFactory
from tests.patrons.test_accounts import register_form

pytestmark = pytest.mark.django_db
PAYMENT = "/admin/circulation/payment/"
CHECKIN = "/admin/circulation/checkin/"
PULL = "/admin/circulation/holds-to-pull/"
SLIPS = "/admin/circulation/desk-slips/"
STAFF_CHROME = ('id="header"', "breadcrumbs", "Log out", "View site")


def no_staff_chrome(html: str) -> bool:
    return not any(mark in html for mark in STAFF_CHROME)


@pytest.fixture
def desk(clerk_client, branch):
    post(clerk_client, CHECKOUT, {"action": "branch", "branch": branch.pk})
    return clerk_client


def spanish(patron):
    Patron.objects.filter(pk=patron.pk).update(language="es")


def test_the_checkout_receipt_is_in_the_patrons_language(desk, card, branch):
    spanish(card.patron)
    item = ItemFactory(branch=branch, title=TitleFactory(title="Moby-Dick"))
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode})
    html = get(desk, "/admin/circulation/checkout-receipt/")
    assert '<html lang="es">' in html and "Recibo de préstamo" in html
    assert "Moby-Dick" in html and "Check-out receipt" not in html
    assert "Imprimir" in html and no_staff_chrome(html)


def test_the_items_out_receipt_lists_every_current_loan_at_any_time(desk, card, branch):
    earlier = LoanFactory(
        patron=card.patron, item=ItemFactory(branch=branch, title=TitleFactory(title="Emma"))
    )
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    now = get(desk, "/admin/circulation/checkout-receipt/")
    assert "Emma" not in now  # not checked out in this transaction
    html = get(desk, "/admin/circulation/checkout-receipt/?all=1")
    assert "Items you have out" in html and "Emma" in html and earlier.item.barcode in html
    assert LogEntry.objects.filter(additional_data__page="desk:checkout_receipt").exists()
    assert b"Items you have out" in desk.get(CHECKOUT).content  # the link at the desk


def test_cash_tendered_gives_the_change_on_the_page_and_the_receipt(desk, card):
    spanish(card.patron)
    fine = FineFactory(patron=card.patron, amount=Decimal("1.75"))
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    data = {"action": "pay", "fine": fine.pk, "amount": "1.75", "method": "cash"}
    post(desk, PAYMENT, {**data, "tendered": "5.00"})
    assert shows(get(desk, PAYMENT), "Cash tendered $5.00: give $3.25 change.")
    receipt = get(desk, "/admin/circulation/payment-receipt/")
    assert "Efectivo entregado" in receipt and "$5.00" in receipt and "$3.25" in receipt
    assert "Recibo de pago" in receipt and no_staff_chrome(receipt)
    assert "<dd>Efectivo</dd>" in receipt and "Vencido" in receipt  # method, kind


@pytest.mark.parametrize(
    ("tendered", "method", "message"),
    [
        ("1.00", "cash", "The cash tendered ($1.00) is less than the payment ($1.75)."),
        ("5.00", "card", "Cash tendered is for cash payments"),
        ("five", "cash", "Enter the cash tendered as an amount such as 5.00"),
    ],
)
def test_a_tendered_amount_below_the_payment_is_refused(desk, card, tendered, method, message):
    fine = FineFactory(patron=card.patron, amount=Decimal("1.75"))
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    data = {"action": "pay", "fine": fine.pk, "amount": "1.75", "method": method}
    post(desk, PAYMENT, {**data, "tendered": tendered})
    assert shows(get(desk, PAYMENT), message)
    assert not FinePayment.objects.exists()
    assert Fine.objects.get(pk=fine.pk).amount_paid == 0


def _pull(desk, clerk, card, branch, title_text="Middlemarch"):
    title = TitleFactory(title=title_text)
    copy = ItemFactory(branch=branch, title=title)
    hold = services.hold_place(patron=card.patron, title=title, pickup_branch=branch, actor=clerk)
    post(desk, PULL, {"hold": hold.pk, "barcode": copy.barcode})
    return hold, copy


def test_after_pulled_the_page_links_to_the_hold_slip(desk, clerk, card, branch):
    hold, _copy = _pull(desk, clerk, card, branch)
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.WAITING
    page = get(desk, PULL)
    assert "Print the hold slip" in page
    assert f"/admin/circulation/hold-slip/?hold={hold.pk}" in page.replace("&amp;", "&")
    assert card.patron.last_name not in page


def test_the_slips_of_a_pull_list_print_in_one_go(desk, clerk, card, branch):
    spanish(card.patron)
    _pull(desk, clerk, card, branch, "Middlemarch")
    _pull(desk, clerk, card, branch, "Persuasion")
    page = get(desk, PULL)
    assert "Print all 2 slips" in page
    html = get(desk, SLIPS + "?from=pull")
    assert html.count('class="receipt slip-page"') == 2
    assert html.count('lang="es"') == 2 and "Recoger en" in html  # each in the patron's
    assert "Middlemarch" not in html and card.number not in html and no_staff_chrome(html)
    assert LogEntry.objects.filter(additional_data__page="desk:desk_slips").exists()


def test_transit_slips_of_a_checkin_session_name_the_title_and_print_in_one_go(
    desk, card, branch, other_branch
):
    first = ItemFactory(branch=other_branch, title=TitleFactory(title="Emma"), status="on_loan")
    second = ItemFactory(
        branch=other_branch, title=TitleFactory(title="Persuasion"), status="on_loan"
    )
    for item in (first, second):
        LoanFactory(item=item, patron=card.patron)
        post(desk, CHECKIN, {"action": "item", "barcode": item.barcode})
    page = get(desk, CHECKIN)
    assert "Print all 2 slips" in page
    html = get(desk, SLIPS + "?from=checkin")
    assert html.count('class="receipt slip-page"') == 2
    assert "Emma" in html and "Persuasion" in html and f"To: {other_branch.name}" in html
    assert no_staff_chrome(html)


def test_the_desk_home_counts_the_holds_to_pull_at_the_desks_branch(
    desk, clerk, card, branch, other_branch
):
    title = TitleFactory()
    ItemFactory(branch=branch, title=title)
    services.hold_place(patron=card.patron, title=title, pickup_branch=branch, actor=clerk)
    html = get(desk, reverse("admin:circulation_desk"))
    assert shows(html, f"1 Holds to pull at {branch.name}")
    assert reverse("admin:circulation_holds_to_pull") in html


def test_the_registration_slip_is_a_print_page_in_the_patrons_language(clerk_client):
    response = clerk_client.post(reverse("admin:patrons_patron_add"), register_form(language="es"))
    html = response.content.decode()
    assert '<html lang="es">' in html and "PIN temporal" in html and "Imprimir" in html
    assert no_staff_chrome(html) and 'href="/static/css/slips.css"' in html
    assert "no-store" in response["Cache-Control"]


def test_a_language_not_chosen_at_registration_is_the_requests(clerk_client):
    clerk_client.post(
        reverse("admin:patrons_patron_add"),
        register_form(language=""),
        HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9",
    )
    assert Patron.objects.get(last_name="Okafor").language == "es"


def test_the_first_portal_sign_in_sets_a_language_not_chosen(card):
    assert card.patron.language == ""
    browser = Client(HTTP_ACCEPT_LANGUAGE="es")
    browser.post("/portal/login/", {"card_number": card.number, "pin": DEFAULT_PIN})
    card.patron.refresh_from_db()
    assert card.patron.language == "es" and card.patron.notice_language == "es"
    # A later sign-in in another language keeps the first (the patron changes it).
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/portal/login/", {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    card.patron.refresh_from_db()
    assert card.patron.language == "es"
