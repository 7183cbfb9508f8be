"""The "my data" a person can read: a printable page and CSV and JSON downloads with labels
in the patron's language (never `item__title__title`), every kind of record in the
registry with how long it is kept, and for each record when it is erased."""

import csv
import io
import json

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from patrons.export import _model_field
from privacy.registry import registry
from tests.factories import (
    DEFAULT_PIN,
    CardFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    patron = PatronFactory(first_name="Wilhelmina")
    card = CardFactory(number="21234666600002", patron=patron)
    LoanFactory(patron=patron, item=ItemFactory(title=TitleFactory(title="Still Reading")))
    LoanFactory(
        patron=patron,
        item=ItemFactory(title=TitleFactory(title="=Brought Back")),
        returned_at=timezone.now() - timezone.timedelta(hours=2),
    )
    LoanFactory(item=ItemFactory(title=TitleFactory(title="Somebody Else's")))
    return card


def signed_in(card, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.post(reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN})
    return client


def test_the_page_lists_every_kind_with_how_long_it_is_kept(card):
    page = signed_in(card).get(reverse("portal:my_data")).content.decode()
    for kind in registry:
        title = str(kind.rule.label if kind.policy_kind is None else kind.patron_label)
        assert title[1:] in page, kind.name
    assert "Kept while the item is checked out to you" in page
    assert "Kept with your registration, and erased with it." in page  # the card
    # A rule that says "until ..." reads as one sentence, in both languages.
    assert "Kept until the request is decided and fulfilled;" in page
    assert "while until" not in page


def test_the_readable_page_shows_each_record_and_when_it_is_erased(card):
    client = signed_in(card)
    page = client.get(reverse("portal:my_data_all")).content.decode()
    assert "Still Reading" in page and "=Brought Back" in page
    assert "Somebody Else" not in page
    assert "item__title__title" not in page and '<th scope="col">Title</th>' in page
    assert "kept while the item is checked out to you" in page
    assert "erased tonight" in page  # returned, and loans are kept 0 days
    entries = LogEntry.objects.filter(additional_data__page="portal:my_data:all")
    assert entries.count() == 1


def test_the_csv_has_labels_in_words_and_is_safe_in_a_spreadsheet(card):
    response = signed_in(card).get(reverse("portal:my_data"), {"download": "csv"})
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Kind of record", "Record", "Field", "Value", "Kept"]
    titles = [row[3] for row in rows if row[2] == "Title"]
    assert sorted(titles) == ["'=Brought Back", "Still Reading"]
    kinds = {row[0] for row in rows[1:]}
    assert len(kinds) == len(registry)
    assert not any("__" in cell for row in rows for cell in row)


def test_the_json_has_labels_and_the_retention_of_every_kind(card):
    response = signed_in(card).get(reverse("portal:my_data"), {"download": "json"})
    data = json.loads(response.content)
    assert set(data["records"]) == set(registry.names())
    loans = data["records"]["loan"]
    assert loans["retention"].startswith("Kept while")
    assert {record["Title"] for record in loans["records"]} == {"Still Reading", "=Brought Back"}
    assert "item__title__title" not in response.content.decode()


def test_everything_is_in_spanish_from_the_spanish_portal(card):
    client = signed_in(card, "es")
    page = client.get(reverse("portal:my_data_all")).content.decode()
    assert "Título" in page and "se borra esta noche" in page
    summary = client.get(reverse("portal:my_data")).content.decode()
    assert "Se guarda hasta que" in summary and "mientras hasta" not in summary
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("portal:my_data"), {"download": "csv"}).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows[0][0] == "Tipo de registro"
    data = json.loads(client.get(reverse("portal:my_data"), {"download": "json"}).content)
    assert {r["Título"] for r in data["records"]["loan"]["records"]} >= {"Still Reading"}


def test_a_cards_status_and_other_choices_are_in_spanish_on_the_spanish_page(card):
    page = signed_in(card, "es").get(reverse("portal:my_data_all")).content.decode()
    assert "<td>Activa</td>" in page and "<td>Active</td>" not in page


def test_every_choice_a_patron_reads_in_my_data_has_its_spanish():
    languages = {str(name) for _code, name in settings.LANGUAGES}  # each in its own tongue
    missing = []
    for kind in registry:
        for path in kind.export_fields:
            found = _model_field(kind.model, path)
            for _value, label in getattr(found, "flatchoices", None) or ():
                with translation.override("en"):
                    english = str(label)
                with translation.override("es"):
                    spanish = translation.gettext(english)
                if spanish == english and english not in languages:
                    missing.append(f"{kind.name}.{path}: {label}")
    assert missing == []
