"""The staff admin for patrons (and for the apps it is built on), as a superuser."""

import pytest
from auditlog.models import LogEntry

from patrons.models import Patron
from privacy.models import ExpungeRun, RetentionPolicy
from privacy.registry import registry
from tests.admin_walk import admin_url, check_list_and_add_pages, registered_models
from tests.factories import CardFactory, PatronFactory, PatronWithCardFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model",
    registered_models(exclude_app_label="circulation"),
    ids=lambda model: model._meta.label,
)
def test_list_and_add_pages_open(superuser_client, superuser, one_of_everything, model):
    check_list_and_add_pages(superuser_client, superuser, model)


def test_the_walk_covers_our_models():
    labels = {model._meta.label for model in registered_models(exclude_app_label="circulation")}
    assert {"patrons.Patron", "patrons.Card", "privacy.RetentionPolicy"} <= labels
    assert "auditlog.LogEntry" in labels


@pytest.mark.parametrize("model", [RetentionPolicy, ExpungeRun], ids=lambda m: m.__name__)
def test_system_rows_cannot_be_added_by_hand(superuser_client, model):
    assert superuser_client.get(admin_url(model, "add")).status_code == 403


def test_every_patron_record_has_a_change_page(superuser_client, one_of_everything):
    for kind in registry:
        record = one_of_everything[kind.model]
        response = superuser_client.get(admin_url(kind.model, "change", record.pk))
        assert response.status_code == 200, kind.name


def test_the_patron_page_never_shows_the_pin_hash(superuser_client, one_of_everything):
    patron = one_of_everything[Patron]
    assert patron.pin_hash

    pages = [
        admin_url(Patron, "change", patron.pk),
        admin_url(Patron, "changelist"),
        admin_url(Patron, "history", patron.pk),
        admin_url(LogEntry, "changelist"),
        *(
            admin_url(LogEntry, "change", entry.pk)
            for entry in LogEntry.objects.get_for_object(patron)
        ),
    ]
    assert len(pages) > 4  # the patron's creation was audited

    for url in pages:
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert patron.pin_hash not in html, url
        assert "pin_hash" not in html, url
        assert "argon2" not in html, url


def test_the_patron_page_shows_the_patron(superuser_client):
    patron = PatronWithCardFactory(first_name="Philippa", last_name="Quennell")
    html = superuser_client.get(admin_url(Patron, "change", patron.pk)).content.decode()
    assert "Quennell" in html
    card = patron.cards.get()
    # The card shows masked, as on every staff page a passer-by at the desk could read.
    assert card.masked_number in html and card.number not in html


def search(client, model, term):
    response = client.get(admin_url(model, "changelist"), {"q": term})
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


def test_a_scanned_card_finds_its_patron_and_no_one_else(superuser_client):
    patron = PatronWithCardFactory()
    other = PatronWithCardFactory()
    number = patron.cards.get().number

    assert search(superuser_client, Patron, number) == {patron}
    assert search(superuser_client, Patron, other.cards.get().number) == {other}


def test_a_lost_card_still_finds_its_patron(superuser_client):
    patron = PatronFactory()
    lost = CardFactory(patron=patron, status="lost")
    CardFactory(patron=patron)
    assert search(superuser_client, Patron, lost.number) == {patron}


def test_part_of_a_card_number_finds_no_one(superuser_client):
    """Card numbers match whole, so a partial number cannot be used to browse patrons."""
    patron = PatronWithCardFactory()
    number = patron.cards.get().number
    assert search(superuser_client, Patron, number[:10]) == set()
    assert search(superuser_client, Patron, number[-4:]) == set()


def test_patrons_are_found_by_name(superuser_client):
    ada = PatronFactory(last_name="Lovelace")
    PatronFactory(last_name="Babbage")
    assert search(superuser_client, Patron, "lovelace") == {ada}
