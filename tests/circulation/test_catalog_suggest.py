"""The catalog's "did you mean": a search that finds nothing or little suggests the
query with its misspelt words replaced by the closest words of the catalog (trigrams on
PostgreSQL, a simpler fallback on SQLite, words spelt as they sound on both), in both
languages; the suggestion is offered only if it finds more."""

import pytest
from django.test import Client
from django.urls import reverse

from circulation.catalog.search import suggestion
from circulation.models import SearchWord, Title
from tests.factories import ItemFactory, TitleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    for title, author in [
        ("Pride and Prejudice", "Austen, Jane"),
        ("Emma", "Austen, Jane"),
        ("Cien años de soledad", "García Márquez, Gabriel"),
        ("Great Expectations", "Dickens, Charles"),
    ]:
        ItemFactory(title=TitleFactory(title=title, author=author))
    Title.objects.bulk_create([Title(title="The Prisoner of Zenda", author="Hope, Anthony")])


def test_the_catalog_words_are_kept_for_suggestions(catalog):
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"prejudice", "austen", "soledad", "zenda", "marquez"} <= words
    assert SearchWord.objects.get(word="austen").sound == "stn"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("pride predjudice", "pride prejudice"),
        ("jane ostin", "jane austen"),
        ("great expectashuns", "great expectations"),
        ("cien años soledda", "cien anos soledad"),
        ("prisoner zenta", "prisoner zenda"),
    ],
)
def test_a_search_that_finds_nothing_suggests_the_closest_words(catalog, typed, meant):
    assert suggestion(typed, 0) == meant


def test_no_suggestion_when_the_search_finds_enough_or_nothing_is_close(catalog):
    assert suggestion("austen", 2) == ""  # found enough
    assert suggestion("pride prejudice", 1) == ""  # every word is known
    assert suggestion("xylophone quartz", 0) == ""  # nothing alike
    assert suggestion("emma predjudice", 0) == ""  # the suggestion would find nothing


def test_the_results_page_offers_the_suggestion_as_a_link_in_both_languages(catalog):
    page = Client().get(reverse("portal:catalog"), {"q": "jane ostin"}).content.decode()
    assert "Did you mean:" in page and "?q=jane+austen" in page
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es").get(
        reverse("portal:catalog"), {"q": "pride predjudice"}
    )
    assert "¿Quiso decir:" in spanish.content.decode()
    found = Client().get(reverse("portal:catalog"), {"q": "jane austen"}).content.decode()
    assert "Did you mean" not in found
