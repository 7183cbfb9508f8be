"""The public catalog in English and in Spanish, in a real browser (Debian chromium): the
language switch at the top of the page is a plain form that works under the site's strict
CSP and no-referrer policy and comes back to the same search. Takes the catalog's
screenshots in both languages (into docs/screenshots/ only under `make screenshots`)."""

import datetime

import pytest
from django.utils import timezone

from circulation.models import Item, Title
from tests.e2e.shots import screenshot
from tests.factories import BranchFactory, ItemFactory, LoanFactory, PatronFactory, TitleFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog():
    central = BranchFactory(code="central", name="Central Library")
    east = BranchFactory(code="east", name="East Side Branch")
    books = [
        (
            "The River at Dawn",
            "Okonkwo, Adaeze",
            2019,
            "eng",
            Title.Format.BOOK,
            "Rivers\nFamilies",
        ),
        ("River Songs", "Alvarez, Marisol", 2021, "spa", Title.Format.MUSIC, "Folk music"),
        ("Down the River", "Hale, Simon", 1998, "eng", Title.Format.AUDIOBOOK, "Rivers"),
        ("The River Guide", "Brandt, Jonas", 2015, "eng", Title.Format.BOOK, "Canoeing"),
        ("Río abajo", "Moreno, Lucía", 2008, "spa", Title.Format.BOOK, "Rivers"),
    ]
    titles = []
    for name, author, year, language, kind, subjects in books:
        titles.append(
            TitleFactory(
                title=name,
                author=author,
                publication_year=year,
                language=language,
                format=kind,
                subjects=subjects,
                call_number=f"{kind.upper()[:3]} {author[:3].upper()}",
                summary="A journey down a great river, told over one long summer.",
            )
        )
    for title in titles:
        ItemFactory(title=title, branch=central)
        ItemFactory(title=title, branch=east)
    # One copy out, due on a known day, so the title page shows a date in each language.
    out = titles[0].items.filter(branch=east).first()
    Item.objects.filter(pk=out.pk).update(status=Item.Status.ON_LOAN)
    due = timezone.now() + datetime.timedelta(days=12)
    LoanFactory(item=out, patron=PatronFactory(), checked_out_at=due - datetime.timedelta(days=21))
    return titles[0]


def test_results_and_title_page_in_english_and_spanish(page, catalog, screenshots):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/portal/catalog/?q=river")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "titles found" in page.locator("#results-heading").inner_text()
    screenshot(page, path=str(screenshots / "catalog-results-en.png"), full_page=True)

    # The switch: a form post, answered by a redirect back to the same search.
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.url.endswith("/portal/catalog/?q=river")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("#results-heading").inner_text().startswith("Se encontraron")
    assert "Refine su búsqueda" in page.content()
    screenshot(page, path=str(screenshots / "catalog-results-es.png"), full_page=True)

    page.get_by_role("link", name="The River at Dawn").click()
    page.wait_for_load_state()
    assert "Dónde encontrarlo" in page.content()
    assert "Prestado, vence el" in page.content()
    screenshot(page, path=str(screenshots / "catalog-title-es.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/portal/catalog/{catalog.pk}/")
    assert "Where to find it" in page.content()
    screenshot(page, path=str(screenshots / "catalog-title-en.png"), full_page=True)
    assert page.outside_requests == []
