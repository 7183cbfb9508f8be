"""The staff admin for circulation, as a superuser."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circulation.models import Fine, Hold, Loan
from patrons.models import Patron
from tests.admin_walk import admin_url, check_list_and_add_pages, registered_models
from tests.factories import (
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronWithCardFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize(
    "model", registered_models(app_label="circulation"), ids=lambda model: model._meta.label
)
def test_list_and_add_pages_open(superuser_client, superuser, one_of_everything, model):
    check_list_and_add_pages(superuser_client, superuser, model)


def test_the_walk_covers_the_circulation_models():
    labels = {model._meta.label for model in registered_models(app_label="circulation")}
    assert {"circulation.Loan", "circulation.Hold", "circulation.Fine"} <= labels


def test_the_loan_page_opens_and_never_shows_the_pin_hash(superuser_client, one_of_everything):
    loan = one_of_everything[Loan]
    patron = one_of_everything[Patron]

    response = superuser_client.get(admin_url(Loan, "change", loan.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert loan.item.barcode in html
    assert patron.pin_hash not in html
    assert "pin_hash" not in html


def search(client, model, term):
    response = client.get(admin_url(model, "changelist"), {"q": term})
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def test_a_scanned_barcode_finds_the_loan_of_that_item(superuser_client):
    loan = LoanFactory()
    other = LoanFactory()
    assert search(superuser_client, Loan, loan.item.barcode) == {loan}
    assert search(superuser_client, Loan, other.item.barcode) == {other}
    assert search(superuser_client, Loan, loan.item.barcode[:8]) == set()


def test_a_scanned_card_finds_the_patrons_loans(superuser_client):
    patron = PatronWithCardFactory()
    mine = {LoanFactory(patron=patron), LoanFactory(patron=patron)}
    LoanFactory(patron=PatronWithCardFactory())
    assert search(superuser_client, Loan, patron.cards.get().number) == mine


def test_loans_are_found_by_title(superuser_client):
    loan = LoanFactory(item=ItemFactory(title=TitleFactory(title="Middlemarch")))
    LoanFactory()
    assert search(superuser_client, Loan, "middlemarch") == {loan}


def test_holds_and_fines_are_found_by_card_number(superuser_client):
    patron = PatronWithCardFactory()
    hold, fine = HoldFactory(patron=patron), FineFactory(patron=patron)
    HoldFactory(), FineFactory()
    number = patron.cards.get().number
    assert search(superuser_client, Hold, number) == {hold}
    assert search(superuser_client, Fine, number) == {fine}


def test_the_overdue_filter_lists_only_overdue_open_loans(superuser_client, now):
    overdue = LoanFactory(checked_out_at=now - 30 * DAY, due_at=now - 9 * DAY)
    LoanFactory(checked_out_at=now - 30 * DAY, due_at=now - 9 * DAY, returned_at=now - DAY)
    LoanFactory(checked_out_at=now - DAY, due_at=now + 20 * DAY)

    response = superuser_client.get(admin_url(Loan, "changelist"), {"overdue": "yes"})

    assert set(response.context["cl"].result_list) == {overdue}


def test_record_lists_show_the_patron_by_masked_card_in_a_fixed_number_of_queries(
    superuser_client,
):
    def page_queries(url: str) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            response = superuser_client.get(url)
        assert response.status_code == 200
        return response.content.decode(), len(queries)

    first = LoanFactory(patron=PatronWithCardFactory())
    number = first.patron.cards.get().number
    text, few = page_queries(admin_url(Loan, "changelist"))
    assert f"card …{number[-4:]}" in text
    assert f"Patron #{first.patron.pk}" not in text
    assert number not in text  # masked: the full card number is not on the list
    for _ in range(5):
        LoanFactory(patron=PatronWithCardFactory())
    _, many = page_queries(admin_url(Loan, "changelist"))
    assert many == few  # one query for every row's card, not one per row
    FineFactory(patron=first.patron)
    text, _ = page_queries(admin_url(Fine, "changelist"))
    assert f"card …{number[-4:]}" in text
