"""Slips and receipts: the check-out receipt (titles and due dates, print or email), the
hold slip (initials and the card's last four digits, no title), print styles for 80 mm."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core import mail

from circulation import services
from circulation.models import Hold, Transit
from patrons.models import Patron
from tests.factories import FineFactory, HoldFactory, ItemFactory, LoanFactory, TitleFactory

pytestmark = pytest.mark.django_db
CHECKOUT = "/admin/circulation/checkout/"


def test_the_checkout_receipt_lists_this_transactions_items_with_due_dates(
    clerk_client, card, branch
):
    Patron.objects.filter(pk=card.patron_id).update(email="reader@example.org")
    item = ItemFactory(branch=branch, title=TitleFactory(title="Moby-Dick"))
    clerk_client.post(CHECKOUT, {"action": "branch", "branch": branch.pk})
    clerk_client.post(CHECKOUT, {"action": "card", "card_number": card.number})
    clerk_client.post(CHECKOUT, {"action": "item", "barcode": item.barcode})
    assert b"Receipt (print or email)" in clerk_client.get(CHECKOUT).content
    html = clerk_client.get("/admin/circulation/checkout-receipt/").content.decode()
    assert "Moby-Dick" in html and "Due " in html and 'class="receipt"' in html
    assert "…0001" in html and card.number not in html
    clerk_client.post("/admin/circulation/checkout-receipt/")
    assert len(mail.outbox) == 1 and "Moby-Dick" in mail.outbox[0].body
    assert mail.outbox[0].to == ["reader@example.org"]


def test_without_a_card_served_the_receipt_says_so(clerk_client):
    response = clerk_client.get("/admin/circulation/checkout-receipt/", follow=True)
    assert b"Serve a card at Check out first." in response.content


def test_the_hold_slip_has_initials_and_last_four_digits_only(clerk_client, card, branch, clerk):
    title = TitleFactory(title="Middlemarch")
    copy = ItemFactory(branch=branch, title=title)
    hold = services.hold_place(patron=card.patron, title=title, pickup_branch=branch, actor=clerk)
    services.hold_pull(hold=hold, barcode=copy.barcode, actor=clerk, branch=branch)
    html = clerk_client.get(f"/admin/circulation/hold-slip/?hold={hold.pk}").content.decode()
    assert "P.Q. …0001" in html and branch.name in html and "On the shelf until" in html
    assert "Middlemarch" not in html and "Quennell" not in html and card.number not in html
    other = HoldFactory(status=Hold.Status.PLACED)
    page = clerk_client.get(f"/admin/circulation/hold-slip/?hold={other.pk}").content
    assert b"Choose a hold on the hold shelf page" in page


def test_print_styles_fit_an_80mm_receipt_printer():
    css = Path(finders.find("css/slips.css")).read_text()
    assert ".receipt { width: 72mm;" in css and "@media print" in css


def test_every_slip_names_the_library_and_not_the_staff_site(
    clerk_client, card, branch, clerk, settings
):
    """Slips are handed to patrons or travel with a copy: the library's name, never the
    staff site's header ("Calumet staff")."""
    title = TitleFactory(title="Middlemarch")
    copy = ItemFactory(branch=branch, title=title)
    hold = services.hold_place(patron=card.patron, title=title, pickup_branch=branch, actor=clerk)
    services.hold_pull(hold=hold, barcode=copy.barcode, actor=clerk, branch=branch)
    away = ItemFactory(branch=branch, status="on_loan")
    LoanFactory(item=away, patron=card.patron)
    transit = Transit.objects.create(
        item=away, from_branch=branch, to_branch=branch, reason="home", sent_on="2026-12-01"
    )
    FineFactory(patron=card.patron, amount=Decimal("1.00"))
    clerk_client.post(CHECKOUT, {"action": "branch", "branch": branch.pk})
    clerk_client.post(CHECKOUT, {"action": "card", "card_number": card.number})
    clerk_client.post(CHECKOUT, {"action": "item", "barcode": ItemFactory(branch=branch).barcode})
    clerk_client.post("/admin/circulation/payment/", {"action": "card", "card_number": card.number})
    clerk_client.post("/admin/circulation/payment/", {"action": "pay_all", "method": "cash"})
    slips = {
        "checkout receipt": "/admin/circulation/checkout-receipt/",
        "payment receipt": "/admin/circulation/payment-receipt/",
        "hold slip": f"/admin/circulation/hold-slip/?hold={hold.pk}",
        "transit slip": f"/admin/circulation/transit-slip/?transit={transit.pk}",
    }
    for name, url in slips.items():
        html = clerk_client.get(url).content.decode()
        slip = html.split('<div class="receipt', 1)[1]
        assert "Calumet staff" not in html, name
        assert settings.CALUMET_LIBRARY_NAME in slip, name
        assert slip.count(settings.CALUMET_LIBRARY_NAME) == 1, name  # named once
