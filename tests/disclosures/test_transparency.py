"""The public transparency report: years only, counts by kind and outcome, patrons
named, nothing a non-disclosure order forbids, and a switch that turns it off."""

import datetime

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from disclosures.models import DisclosureRequest
from disclosures.transparency import requests_per_year
from tests.factories import DisclosureRequestFactory, DisclosureScopeFactory

pytestmark = pytest.mark.django_db

Status = DisclosureRequest.Status


def _received(year, month=5, day=17, **fields):
    zone = timezone.get_current_timezone()
    when = datetime.datetime(year, month, day, 14, 5, tzinfo=zone)
    return DisclosureRequestFactory(received_at=when, **fields)


@pytest.fixture
def register(db):
    # The service keeps the count of patrons named (tests/disclosures: test_disclosures).
    approved = _received(2025, legal_basis="subpoena", status=Status.FULFILLED, patrons_named=2)
    DisclosureScopeFactory(request=approved)
    DisclosureScopeFactory(request=approved)
    _received(2025, 8, legal_basis="court_order", status=Status.DENIED, case_number="2025-CR-7")
    _received(2025, 9, legal_basis="none", status=Status.REFUSED_AT_DESK)
    _received(2024, legal_basis="emergency", status=Status.WITHDRAWN)
    gagged = _received(
        2025,
        legal_basis="court_order",
        status=Status.APPROVED,
        patron_may_be_told=False,
        agency="Federal Bureau of Gag Orders",
        patrons_named=1,
    )
    DisclosureScopeFactory(request=gagged)


def test_counts_per_year_leave_out_non_disclosure_orders(register):
    rows = requests_per_year()
    assert [row["year"] for row in rows] == [2025, 2024]
    latest = rows[0]
    assert latest["received"] == 3
    assert latest["kinds"] == [1, 1, 0, 1]  # subpoena, warrant, emergency, other
    assert latest["outcomes"] == [1, 2, 0, 0]  # approved, denied or refused, withdrawn, open
    assert latest["named"] == 2
    assert rows[1]["kinds"] == [0, 0, 1, 0] and rows[1]["outcomes"] == [0, 0, 1, 0]


def test_public_page_shows_years_only(register, client):
    response = client.get("/transparency/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<th scope="row">2025</th><td>3</td>' in page
    for secret in ("Federal Bureau of Gag Orders", "County Sheriff", "2025-CR-7", "2025-05", "May"):
        assert secret not in page.split("<main")[1], secret
    assert 'href="/transparency/"' in client.get("/").content.decode()


@override_settings(CALUMET_TRANSPARENCY_PAGE=False)
def test_page_can_be_turned_off(register, client):
    assert client.get("/transparency/").status_code == 404
    assert 'href="/transparency/"' not in client.get("/").content.decode()
