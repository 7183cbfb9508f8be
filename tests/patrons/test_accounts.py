"""Registration at the desk by circulation staff, card numbers with a Luhn check digit,
renewal, card replacement, blocks placed and lifted by services."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation.models import Loan
from core.refusals import Refused
from patrons import accounts
from patrons.cards import card_number_problem, luhn_check_digit, luhn_valid, new_card_number
from patrons.exceptions import PatronRefusal
from patrons.models import Card, Patron, PatronBlock, PatronCategory
from patrons.selectors import card_resolve
from staff.roles import CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR
from tests.factories import BranchFactory, CardFactory, LoanFactory, PatronFactory
from tests.helpers import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return make_staff("clerk", CIRCULATION_STAFF)


def test_luhn_check_digits():
    assert luhn_check_digit("7992739871") == "3"  # the textbook example
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    for _ in range(50):
        number = new_card_number()
        assert len(number) == 14 and number.startswith("21234") and luhn_valid(number)
    assert "last digit" in card_number_problem("21234000000001")
    assert card_number_problem("2123400000000" + luhn_check_digit("2123400000000")) is None


def test_the_prefix_is_a_setting(settings):
    settings.CALUMET_CARD_PREFIX = "29876"
    assert new_card_number().startswith("29876")


def register_form(**overrides):
    data = {
        "first_name": "Ruth",
        "last_name": "Okafor",
        "birth_date": "1991-03-04",
        "address_line1": "12 Lake Street",
        "city": "Calumet City",
        "postal_code": "60409",
        "email": "ruth@example.org",
        "phone": "",
        "category": "adult",
        "home_branch": str(BranchFactory(code="main", name="Main").pk),
        "card_number": "",
        "issue_pin": "on",
    }
    return {**data, **overrides}


def test_a_clerk_registers_a_patron_and_gets_a_slip_with_a_temporary_pin(clerk_client):
    response = clerk_client.post(reverse("admin:patrons_patron_add"), register_form())
    assert response.status_code == 200
    page = response.content.decode()
    number = re.search(r'id="slip-card">(\d{14})<', page).group(1)
    pin = re.search(r'id="slip-pin">(\d+)<', page).group(1)
    patron = Patron.objects.get(last_name="Okafor")
    assert luhn_valid(number) and patron.active_card.number == number
    assert patron.pin_must_change and patron.check_pin(pin)
    years = timezone.localdate().year + 3
    assert patron.card_expires_on.year == years


def test_the_clerk_records_the_patrons_language_at_registration_and_later(clerk_client):
    clerk_client.post(reverse("admin:patrons_patron_add"), register_form(language="es"))
    patron = Patron.objects.get(last_name="Okafor")
    assert patron.language == "es"
    refused = clerk_client.post(reverse("admin:patrons_patron_add"), register_form(language="xx"))
    assert b"Select a valid choice" in refused.content
    accounts.patron_update(patron=patron, changed=["language"], actor=_clerk_of(clerk_client))
    patron.language = "en"
    accounts.patron_update(patron=patron, changed=["language"], actor=_clerk_of(clerk_client))
    patron.refresh_from_db()
    assert patron.language == "en"


def _clerk_of(client):
    return get_user_model().objects.get(username="clerk")


def test_a_possible_duplicate_must_be_confirmed(clerk_client):
    PatronFactory(first_name="Ruth", last_name="Okafor", birth_date=datetime.date(1991, 3, 4))
    response = clerk_client.post(reverse("admin:patrons_patron_add"), register_form())
    assert b"Already registered with the same name" in response.content
    assert b"born 1991" in response.content
    assert Patron.objects.filter(last_name="Okafor").count() == 1
    confirmed = clerk_client.post(
        reverse("admin:patrons_patron_add"), register_form(confirm_duplicate="on")
    )
    assert b"slip-pin" in confirmed.content
    assert Patron.objects.filter(last_name="Okafor").count() == 2


def test_same_name_and_address_is_a_duplicate_too(clerk):
    PatronFactory(first_name="Ruth", last_name="Okafor", address_line1="12 LAKE STREET")
    with pytest.raises(Refused) as refusal:
        accounts.patron_register(
            actor=clerk, first_name="ruth", last_name="okafor", address_line1="12 Lake Street"
        )
    assert refusal.value.code == PatronRefusal.DUPLICATE


def test_a_typed_card_number_with_a_wrong_check_digit_is_refused(clerk_client):
    response = clerk_client.post(
        reverse("admin:patrons_patron_add"), register_form(card_number="21234000000001")
    )
    assert b"last digit of that card number is not right" in response.content
    assert not Patron.objects.filter(last_name="Okafor").exists()
    good = "2123400000000" + luhn_check_digit("2123400000000")
    clerk_client.post(reverse("admin:patrons_patron_add"), register_form(card_number=good))
    assert Card.objects.get(number=good).patron.last_name == "Okafor"


def test_existing_cards_without_a_check_digit_keep_working():
    card = CardFactory(number="21234000000001")
    assert card_resolve(card_number=card.number) == card


def test_renewal_extends_from_today_or_the_end(clerk):
    expired = PatronFactory(card_expires_on=datetime.date(2020, 1, 1), status="expired")
    accounts.registration_renew(patron=expired, actor=clerk)
    expired.refresh_from_db()
    assert expired.status == "active"
    assert expired.card_expires_on == accounts.card_expiry()


def test_renewal_from_the_patron_list(clerk_client):
    patron = PatronFactory(card_expires_on=timezone.localdate())
    clerk_client.post(
        reverse("admin:patrons_patron_changelist"),
        {"action": "renew_registration", "_selected_action": [patron.pk]},
    )
    patron.refresh_from_db()
    assert patron.card_expires_on.year == timezone.localdate().year + 3


@pytest.mark.parametrize("reason", ["lost", "stolen", "damaged"])
def test_a_replaced_card_is_refused_and_the_records_follow(clerk_client, reason):
    old = CardFactory(patron=PatronFactory())
    loan = LoanFactory(patron=old.patron)
    response = clerk_client.post(
        reverse("admin:patrons_patron_replace_card", args=[old.patron.pk]), {"reason": reason}
    )
    assert response.status_code == 200
    new = old.patron.active_card
    assert new.number != old.number and luhn_valid(new.number)
    old.refresh_from_db()
    assert old.status == reason
    with pytest.raises(Refused):
        card_resolve(card_number=old.number)
    assert card_resolve(card_number=new.number).patron == old.patron
    assert Loan.objects.get(pk=loan.pk).patron == old.patron
    signin = Client().post(reverse("portal:login"), {"card_number": old.number, "pin": "2468"})
    assert signin.status_code == 200  # refused, one message


def test_blocks_are_placed_and_lifted_with_who(clerk):
    patron = PatronFactory()
    block = accounts.block_place(patron=patron, reason="unpaid", actor=clerk, note="Fines")
    assert block.created_by == clerk and block.in_force()
    accounts.block_lift(block=block, actor=clerk)
    block.refresh_from_db()
    assert block.lifted_by == clerk and not block.in_force()
    with pytest.raises(Refused):
        accounts.block_lift(block=block, actor=clerk)


def test_categories_are_data_the_administrator_edits(clerk_client):
    assert set(PatronCategory.objects.values_list("code", flat=True)) >= {
        "adult",
        "child",
        "young_adult",
        "senior",
        "non_resident",
        "staff",
    }
    admin_client = Client()
    admin_client.force_login(make_staff("director", LIBRARY_ADMINISTRATOR))
    add = reverse("admin:patrons_patroncategory_add")
    assert clerk_client.get(add).status_code == 403
    admin_client.post(add, {"code": "homebound", "name": "Homebound"})
    clerk_client.post(reverse("admin:patrons_patron_add"), register_form(category="homebound"))
    assert Patron.objects.get(last_name="Okafor").category_id == "homebound"
    refused = clerk_client.post(
        reverse("admin:patrons_patron_add"), register_form(category="nonsense", last_name="X")
    )
    assert refused.status_code == 200 and not Patron.objects.filter(last_name="X").exists()


def test_blocks_placed_and_lifted_in_the_admin_record_who(clerk):
    librarian = make_staff("librarian", LIBRARIAN)
    client = Client()
    client.force_login(librarian)
    patron = PatronFactory()
    client.post(
        reverse("admin:patrons_patronblock_add"),
        {"patron": patron.pk, "reason": "unpaid", "note": "Fines over $10"},
    )
    block = PatronBlock.objects.get(patron=patron)
    assert block.created_by == librarian and block.in_force()
    client.post(
        reverse("admin:patrons_patronblock_changelist"),
        {"action": "lift_blocks", "_selected_action": [block.pk]},
    )
    block.refresh_from_db()
    assert block.lifted_by == librarian and not block.in_force()
