"""The public transparency report: years only, counts by kind and outcome, patrons named,
and nothing a watcher can read a single request from. An outside attacker compared the
page day by day: a pending request was counted, then vanished from every count when the
administrator approved it under a non-disclosure order, which told them that a gagged
demand had arrived. Here a watcher reads the page after every step of the register's life
(record, approve under an order, deny, withdraw, expunge) and sees it change only when a
year ends, and then never fall."""

import datetime
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from disclosures.models import DisclosureRequest, DisclosureYear
from privacy import retention
from tests.factories import CardFactory, PatronFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/disclosures/disclosurerequest/add/"


def moment(year, month=1, day=1, hour=12):
    return datetime.datetime(year, month, day, hour, tzinfo=timezone.get_current_timezone())


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def cards():
    return [CardFactory(patron=PatronFactory()).number for _ in range(3)]


class Register:
    """The register worked through the admin, as the clerk and the director do, at a
    given moment."""

    def __init__(self, clerk, director):
        self.clerks, self.directors = Client(), Client()
        self.clerks.force_login(clerk)
        self.directors.force_login(director)

    def record(self, when, card, basis="subpoena", order="no") -> DisclosureRequest:
        data = {
            "agency": "Federal Bureau of Gag Orders" if order == "yes" else "County Sheriff",
            "requester_name": "Agent Smith",
            "legal_basis": basis,
            "non_disclosure_order": order,
            "issuing_authority": "District Court",
            "case_number": f"{when.year}-CR-7",
            "card_numbers": card,
            "kinds": ["loan"],
            "document": SimpleUploadedFile("order.pdf", b"%PDF-1.4 order", "application/pdf"),
        }
        with mock.patch("django.utils.timezone.now", return_value=when):
            response = self.clerks.post(ADD, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        return DisclosureRequest.objects.latest("pk")

    def decide(self, when, request, decision, told=False):
        data = {"decision": decision, "reason": "Read by the administrator."}
        if told:
            data["patron_may_be_told"] = "on"
        with mock.patch("django.utils.timezone.now", return_value=when):
            self.directors.post(f"/admin/disclosures/disclosurerequest/{request.pk}/decide/", data)
        request.refresh_from_db()

    def withdraw(self, when, request):
        with mock.patch("django.utils.timezone.now", return_value=when):
            self.clerks.post(f"/admin/disclosures/disclosurerequest/{request.pk}/withdraw/")
        request.refresh_from_db()


@pytest.fixture
def register(clerk, director):
    return Register(clerk, director)


def watch(when) -> str:
    """What anyone sees on the public page at `when` (its main content)."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        response = Client().get("/transparency/")
    assert response.status_code == 200
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def figures(page: str) -> dict[str, list[str]]:
    """Each published year's row of cells."""
    rows = re.findall(r'<tr><th scope="row">(\d{4})</th>(.*?)</tr>', page)
    return {year: re.findall(r"<td>(.*?)</td>", cells) for year, cells in rows}


def never_fell(before: dict, after: dict) -> None:
    for year, cells in before.items():
        assert year in after, f"{year} disappeared"
        for old, new in zip(cells, after[year], strict=True):
            if old.isdigit():
                assert int(new) >= int(old), (year, cells, after[year])


def test_a_watcher_reads_nothing_of_a_single_request_within_a_year(register, cards):
    # 2025: a subpoena approved, a court order denied, a demand with no process refused.
    register.decide(moment(2025, 3, 2), register.record(moment(2025, 3, 1), cards[0]), "approve")
    register.decide(
        moment(2025, 6, 2), register.record(moment(2025, 6, 1), cards[1], "court_order"), "deny"
    )
    register.record(moment(2025, 9, 1), cards[2], "none")
    late = register.record(moment(2025, 12, 30), cards[0])  # still pending on December 31

    seen = watch(moment(2026, 1, 2))
    assert figures(seen) == {
        # received; subpoenas, warrants, emergencies, other; approved, denied or refused,
        # withdrawn, still being decided; patrons named; under an order (band)
        "2025": ["4", "2", "1", "0", "1", "1", "2", "0", "1", "4", "0–249"],
    }
    assert "published after December 31, 2026" in seen

    # 2026: every step a watcher could hope to see. The page reads the same after each.
    days = iter(range(10, 30))

    def same():
        assert watch(moment(2026, 2, next(days))) == seen

    register.decide(moment(2026, 2, 1), late, "approve")  # last year's request, decided now
    same()
    gagged = register.record(moment(2026, 3, 1), cards[1], "court_order", order="yes")
    same()
    plain = register.record(moment(2026, 3, 2), cards[2])
    same()
    register.decide(moment(2026, 3, 3), gagged, "approve")  # under the order: not told
    assert gagged.status == DisclosureRequest.Status.APPROVED
    assert gagged.patron_may_be_told is False
    same()
    register.decide(moment(2026, 3, 4), plain, "deny")
    same()
    withdrawn = register.record(moment(2026, 4, 1), cards[0])
    register.withdraw(moment(2026, 4, 2), withdrawn)
    same()
    # Every closed request of both years leaves the register with its retention.
    with mock.patch("django.utils.timezone.now", return_value=moment(2032, 6, 1)):
        retention.expunge()
    assert not DisclosureRequest.objects.filter(closed_at__isnull=False).exists()
    same()
    assert watch(moment(2026, 12, 31, 23)) == seen

    # The year is over: 2026 is published, 2025 has not moved, and nothing says which of
    # 2026's demands came under an order, or when.
    after = watch(moment(2027, 1, 1, 1))
    assert figures(after) == {
        "2026": ["2", "2", "0", "0", "0", "0", "1", "1", "0", "2", "0–249"],
        "2025": figures(seen)["2025"],
    }
    never_fell(figures(seen), figures(after))
    for secret in ("Gag Orders", "County Sheriff", "2026-CR-7", "March", "2026-03"):
        assert secret not in after, secret
    assert watch(moment(2027, 7, 1)) == after


def test_the_non_disclosure_question_is_required_and_binds_the_decision(
    register, cards, clerk, director
):
    data = {
        "agency": "Sheriff",
        "requester_name": "Det. Halloran",
        "legal_basis": "subpoena",
        "issuing_authority": "District Court",
        "case_number": "1",
        "card_numbers": cards[0],
        "kinds": ["loan"],
    }
    response = register.clerks.post(ADD, data)  # the question left unanswered
    assert response.status_code == 200
    assert "Does a non-disclosure order come with it?" in response.content.decode()
    assert not DisclosureRequest.objects.exists()

    gagged = register.record(timezone.now(), cards[0], order="yes")
    page = register.directors.get(f"/admin/disclosures/disclosurerequest/{gagged.pk}/change/")
    assert "the patron will not be told" in page.content.decode()
    assert 'name="patron_may_be_told"' not in page.content.decode()
    register.decide(timezone.now(), gagged, "approve", told=True)  # a forged form
    assert gagged.status == DisclosureRequest.Status.PENDING
    assert gagged.patron_may_be_told is None


def test_a_year_of_demands_under_orders_only_shows_no_year(register, cards):
    """Which years the page lists never depends on the requests under an order."""
    register.record(moment(2024, 5, 1), cards[0], order="yes")
    assert "<table" not in watch(moment(2025, 2, 1))
    register.record(moment(2025, 5, 1), cards[1])
    assert list(figures(watch(moment(2026, 2, 1)))) == ["2025"]


def test_the_band_of_demands_under_orders():
    DisclosureYear.objects.create(year=2020, subpoenas=1, under_order=0)
    DisclosureYear.objects.create(year=2021, subpoenas=1, under_order=249)
    DisclosureYear.objects.create(year=2022, subpoenas=1, under_order=250)
    shown = figures(watch(moment(2023, 2, 1)))
    assert [shown[year][-1] for year in ("2020", "2021", "2022")] == [
        "0–249",
        "0–249",
        "250–499",
    ]


@override_settings(CALUMET_TRANSPARENCY_PAGE=False)
def test_page_can_be_turned_off(client):
    assert client.get("/transparency/").status_code == 404
    assert 'href="/transparency/"' not in client.get("/").content.decode()


def test_the_page_is_linked_from_every_public_page(client):
    assert 'href="/transparency/"' in client.get("/").content.decode()
