"""A patron without their card is found at the desk by name, phone or email, on the
check-out and payment pages; namesakes are told apart by birth year and the start of the
address; the search is logged as a list of patrons, and nothing of it goes into a URL."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from patrons.models import Card
from tests.factories import CardFactory, PatronFactory

pytestmark = pytest.mark.django_db
CHECKOUT = reverse("admin:circulation_checkout")
PAYMENT = reverse("admin:circulation_payment")


@pytest.fixture
def desk(clerk_client, branch):
    clerk_client.post(CHECKOUT, {"action": "branch", "branch": branch.pk})
    return clerk_client


@pytest.fixture
def namesakes():
    older = CardFactory(
        patron=PatronFactory(
            first_name="Maria",
            last_name="Garcia",
            birth_date=datetime.date(1950, 1, 2),
            address_line1="17 Elm Avenue",
            phone="(773) 555-0142",
            email="maria.g@example.org",
        )
    )
    younger = CardFactory(
        patron=PatronFactory(
            first_name="Maria",
            last_name="Garcia",
            birth_date=datetime.date(2001, 6, 7),
            address_line1="260 Harbor Drive",
            phone="773-555-0199",
        )
    )
    return older, younger


@pytest.mark.parametrize("page", [CHECKOUT, PAYMENT])
def test_namesakes_are_told_apart_and_the_right_one_is_served(desk, namesakes, page):
    older, younger = namesakes
    response = desk.post(page, {"action": "find", "query": "maria garc"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "1950" in html and "2001" in html and "17 Elm A…" in html and "260 Harb…" in html
    assert "Elm Avenue" not in html
    assert older.number not in html and younger.number not in html
    assert html.count('name="patron"') == 2
    listed = LogEntry.objects.filter(
        additional_data__page=f"desk:{'checkout' if page == CHECKOUT else 'payment'}:find"
    )
    assert {e.additional_data["access"] for e in listed} == {"listed"}
    assert {e.additional_data["patron"] for e in listed} == {older.patron_id, younger.patron_id}
    served = desk.post(page, {"action": "pick", "patron": younger.patron_id}, follow=True)
    assert served.status_code == 200
    assert younger.masked_number in served.content.decode()


def test_found_by_phone_or_email(desk, namesakes):
    by_phone = desk.post(CHECKOUT, {"action": "find", "query": "773 555 0199"}).content.decode()
    assert "2001" in by_phone and "1950" not in by_phone
    by_email = desk.post(CHECKOUT, {"action": "find", "query": "Maria.G@example.org"})
    assert "1950" in by_email.content.decode() and "2001" not in by_email.content.decode()


def test_a_patron_whose_card_is_lost_cannot_be_served_for_check_out(desk, namesakes):
    older, _ = namesakes
    Card.objects.filter(pk=older.pk).update(status=Card.Status.LOST)
    html = desk.post(
        CHECKOUT, {"action": "pick", "patron": older.patron_id}, follow=True
    ).content.decode()
    assert "no card in use" in html or "reported lost" in html


@pytest.mark.parametrize("query", ["", "x", "x" * 500, "☃☃☃"])
def test_bad_searches_are_a_message(desk, query):
    response = desk.post(CHECKOUT, {"action": "find", "query": query})
    assert response.status_code == 200


@pytest.mark.parametrize("patron", ["abc", "-1", "9" * 40, ""])
def test_a_bad_pick_is_a_message(desk, patron):
    response = desk.post(CHECKOUT, {"action": "pick", "patron": patron}, follow=True)
    assert b"Search again" in response.content
