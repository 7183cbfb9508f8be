"""A patron without their card is found at the desk by name, phone or email, on the
check-out and payment pages; namesakes are told apart by birth year and the start of the
address; the search is logged as a list of patrons, and nothing of it goes into a URL."""

import datetime
import importlib

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.urls import reverse

from patrons import accounts
from patrons.importing import MAPPINGS, import_rows
from patrons.models import Card, Patron
from patrons.selectors import patron_search
from tests.factories import CardFactory, PatronFactory

pytestmark = pytest.mark.django_db
CHECKOUT = reverse("admin:circulation_checkout")
PAYMENT = reverse("admin:circulation_payment")


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


@pytest.mark.parametrize("page", [CHECKOUT, PAYMENT])
def test_the_patrons_a_search_lists_are_looked_up_and_the_one_picked_is_served(
    desk, namesakes, page
):
    # A search's matches were looked up, not served: their entries stay looks (kept as
    # written); the patron then picked and served has it as part of their transaction,
    # reduced with it (docs/audit.md, "Transactions and looks").
    older, younger = namesakes
    desk.post(page, {"action": "find", "query": "maria garc"})
    search = f"desk:{'checkout' if page == CHECKOUT else 'payment'}:find"

    def served():
        entries = LogEntry.objects.filter(additional_data__page=search)
        return {e.additional_data["patron"]: e.additional_data.get("served") for e in entries}

    assert served() == {older.patron_id: None, younger.patron_id: None}
    desk.post(page, {"action": "pick", "patron": younger.patron_id}, follow=True)
    assert served() == {older.patron_id: None, younger.patron_id: "desk"}


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


# -- found as they are written -------------------------------------------------------------


@pytest.fixture
def maria():
    return CardFactory(
        patron=PatronFactory(
            first_name="María José",
            last_name="Núñez Peña",
            phone="(555) 010-2345",
            birth_date=datetime.date(1984, 3, 9),
        )
    ).patron


@pytest.fixture
def others():
    """People who must not come up for María José Núñez Peña."""
    return [
        PatronFactory(first_name="Mario", last_name="Peralta", phone="555 010 9999"),
        PatronFactory(first_name="Joaquín", last_name="Garcia", phone="312-555-2345"),
        PatronFactory(first_name="Nuno", last_name="Amaral", phone=""),
    ]


def found(query: str) -> list:
    return patron_search(query)


@pytest.mark.parametrize(
    "query",
    [
        "nunez",
        "Maria",
        "NÚÑEZ",
        "Peña",
        "José",
        "Núñez Peña",
        "pena nunez",
        "jose maria",
        "peña maría",
        "nu pe jo",
        "MARÍA josé NÚÑEZ peña",
        "nunezpena",
        "Núñez-Peña",
    ],
)
def test_a_patron_is_found_by_any_of_her_names_as_they_are_typed(maria, others, query):
    assert found(query) == [maria]


@pytest.mark.parametrize("query", ["nunez garcia", "maria mariano", "pena jose lopez", "ez"])
def test_every_typed_word_must_start_one_of_the_names(maria, others, query):
    assert maria not in found(query)


@pytest.mark.parametrize(
    "query", ["(555) 010-2345", "555.010.2345", "5550102345", "0102345", "+1 555 010 2345"]
)
def test_a_patron_is_found_by_her_phone_number_in_any_format(maria, others, query):
    assert found(query) == [maria]


def test_a_phone_number_is_compared_by_its_end_not_as_a_name(maria, others):
    assert found("555 0102") == []  # the start of the number is not its end
    assert found("2345") == []  # four digits are a name word, and no name starts so


@pytest.mark.parametrize(
    ("first", "last", "query"),
    [
        ("Siobhán", "O'Brien", "obrien"),
        ("Siobhán", "O'Brien", "O'Brien siobhan"),
        ("Ana", "De la Cruz", "delacruz"),
        ("Ana", "De la Cruz", "cruz ana"),
        ("Jürgen", "Groß", "gross jurgen"),
        ("Zoë", "Łukasiewicz", "lukasiewicz zoe"),
    ],
)
def test_compound_names_and_letters_of_other_languages(first, last, query):
    patron = PatronFactory(first_name=first, last_name=last)
    assert found(query) == [patron]


def test_the_desk_page_finds_her_without_accents(desk, maria, others):
    html = desk.post(CHECKOUT, {"action": "find", "query": "nunez pena"}).content.decode()
    assert html.count('name="patron"') == 1
    assert "1984" in html
    listed = LogEntry.objects.filter(additional_data__page="desk:checkout:find")
    assert [e.additional_data["patron"] for e in listed] == [maria.pk]


def test_the_key_follows_registration_changes_and_imports(clerk):
    patron, _card = accounts.patron_register(
        actor=clerk, first_name="Łucja", last_name="Wójcik", phone="773 555 0142"
    )
    assert found("lucja wojcik") == [patron] and found("773-555-0142") == [patron]
    patron.last_name = "Wójcik-Núñez"
    patron.phone = "(312) 555 7788"
    accounts.patron_update(patron=patron, changed=["last_name", "phone"], actor=clerk)
    assert found("nunez lucja") == [patron] and found("555-7788") == [patron]
    assert found("773-555-0142") == []
    result = import_rows(
        [{"card_number": "29000000000017", "first_name": "Ñandú", "last_name": "Müller"}],
        mapping=MAPPINGS["calumet"],
        actor=None,
    )
    assert result.imported == 1
    assert [p.last_name for p in found("nandu muller")] == ["Müller"]


def test_the_key_is_not_in_the_audit_log(clerk, maria):
    maria.first_name = "María Josefa"
    accounts.patron_update(patron=maria, changed=["first_name"], actor=clerk)
    entries = LogEntry.objects.filter(object_pk=str(maria.pk))
    assert entries.exists()
    for entry in entries:
        text = f"{entry.changes} {entry.object_repr} {entry.additional_data}".casefold()
        assert "search_key" not in text
        assert "josefa" not in text and "nunez" not in text and "5432" not in text


def test_the_migration_fills_the_key_of_patrons_registered_before_it(maria):
    Patron.objects.filter(pk=maria.pk).update(search_key="")
    assert found("nunez") == []
    migration = importlib.import_module("patrons.migrations.0021_patron_search_key")
    migration.fill_search_key(apps, None)
    assert found("nunez") == [maria]
