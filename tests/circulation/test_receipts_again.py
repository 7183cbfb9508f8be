"""A payment receipt printed again later, from the patron's page: the patron's recent
receipts, each with "Print receipt" (an 80 mm slip in the patron's language, no staff
chrome, marked as a copy), for as long as the payments are kept; what is shown is logged."""

import re
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from circulation import services
from patrons.models import Patron
from privacy import retention
from tests.circulation.test_desk import get, shows
from tests.circulation.test_slips_desk import no_staff_chrome
from tests.factories import (
    FineFactory,
    ItemFactory,
    LoanFactory,
    StaffUserFactory,
    TitleFactory,
)
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db
RECEIPT = reverse("admin:circulation_payment_receipt")


@pytest.fixture
def paid(card, branch, clerk):
    """Two receipts: an overdue fine for Emma paid by card, then a printing charge in cash."""
    loan = LoanFactory(patron=card.patron, item=ItemFactory(title=TitleFactory(title="Emma")))
    overdue = FineFactory(patron=card.patron, loan=loan, amount=Decimal("2.00"))
    printing = FineFactory(patron=card.patron, reason="printing", amount=Decimal("0.40"))
    first = services.payment_take(
        patron=card.patron, parts=[(overdue, "2.00")], method="card", branch=branch, actor=clerk
    )
    second = services.payment_take(
        patron=card.patron, parts=[(printing, "0.40")], method="cash", branch=branch, actor=clerk
    )
    return first, second


def patron_page(client, patron) -> str:
    return get(client, reverse("admin:patrons_patron_change", args=[patron.pk]))


def print_links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*payment-receipt[^"]*)">Print receipt', html)


def test_the_patrons_page_lists_receipts_and_prints_one_again(clerk_client, card, paid):
    first, second = paid
    page = patron_page(clerk_client, card.patron)
    assert shows(page, "Payments") and shows(page, first) and shows(page, second)
    assert shows(page, "Credit or debit card $2.00") and shows(page, "Cash $0.40")
    listed = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor__username="clerk")
    assert [e.additional_data["kinds"].get("payment") for e in listed] == [2]  # logged
    links = print_links(page)
    assert len(links) == 2 and second in links[0]  # the latest first
    slip = get(clerk_client, links[1].replace("&amp;", "&"))
    for text in (f"No. {first}", "Copy, printed again", "Overdue Emma $2.00", "Card …0001"):
        assert shows(slip, text), text
    assert second not in slip  # one receipt, not the patron's others
    assert 'class="receipt"' in slip and no_staff_chrome(slip)
    assert "Back to the patron's page" in slip
    entry = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, additional_data__page="desk:payment_receipt"
    ).get()
    assert entry.additional_data["patron"] == card.patron_id
    assert entry.additional_data["kinds"]["payment"] == 1


def test_a_receipt_again_is_in_the_patrons_language(clerk_client, card, paid):
    Patron.objects.filter(pk=card.patron_id).update(language="es")
    slip = get(clerk_client, f"{RECEIPT}?receipt={paid[1]}")
    assert '<html lang="es">' in slip and "Recibo de pago" in slip
    assert "Copia, impresa de nuevo" in slip and "Efectivo" in slip


def test_a_receipt_no_longer_kept_is_a_message(clerk_client, card, paid):
    retention.expunge(now=timezone.now() + timezone.timedelta(days=1))
    assert "Print receipt" not in patron_page(clerk_client, card.patron)
    response = clerk_client.get(f"{RECEIPT}?receipt={paid[0]}", follow=True)
    assert response.status_code == 200
    assert shows(response.content.decode(), "No payment with that receipt number is kept any more.")


@pytest.mark.parametrize("number", ["", "MAIN-nothing", "<script>", "x" * 500])
def test_a_bad_receipt_number_is_a_message(clerk_client, card, paid, number):
    response = clerk_client.get(RECEIPT, {"receipt": number}, follow=True)
    assert response.status_code == 200
    assert shows(response.content.decode(), "No payment with that receipt number is kept any more.")


def test_staff_who_take_no_payments_see_the_list_but_print_nothing(card, paid):
    viewer = StaffUserFactory(username="viewer")
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_patron", "view_finepayment"])
    )
    client = signed_in(viewer)
    page = patron_page(client, card.patron)
    assert shows(page, paid[0]) and not print_links(page)
    assert client.get(f"{RECEIPT}?receipt={paid[0]}").status_code == 403


def test_the_patrons_page_prints_every_item_they_have_out(clerk_client, card, branch):
    LoanFactory(
        patron=card.patron, item=ItemFactory(branch=branch, title=TitleFactory(title="Emma"))
    )
    page = patron_page(clerk_client, card.patron)
    assert "Print items out" in page
    response = clerk_client.post(
        reverse("admin:circulation_serve_patron"),
        {"patron": card.patron_id, "desk": "checkout", "then": "items"},
        follow=True,
    )
    slip = response.content.decode()
    assert shows(slip, "Items you have out") and shows(slip, "Emma")
    assert 'class="receipt"' in slip and no_staff_chrome(slip)
