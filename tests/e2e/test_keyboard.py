"""A patron who uses only the keyboard: no click, only Tab, Shift+Tab, Enter, Space and
typing. They skip to the main content, sign in with card and PIN, renew a loan, search
the catalog, place a hold and sign out. Every element the keyboard lands on shows where
the focus is (an outline or a shadow, inside the window)."""

import datetime
import re

import pytest
from django.utils import timezone

from tests.factories import (
    DEFAULT_PIN,
    BranchFactory,
    CardFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)
CARD = "21234000000404"

# The focused element: its tag, its text (or label), and whether the focus can be seen.
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadowed = style.boxShadow !== "none";
  const inside = box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
    && box.left < innerWidth && box.top < innerHeight;
  const words = (text) => (text || "").replace(/\\s+/g, " ").trim();
  const label = e.labels && e.labels.length ? e.labels[0].textContent : "";
  return {
    tag: e.tagName.toLowerCase(),
    id: e.id,
    text: words(e.getAttribute("aria-label") || e.textContent),
    label: words(label),
    visible: (outlined || shadowed) && inside,
  };
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, text: str, *, key="Tab", most=60) -> dict:
    """Presses Tab until the focus is on the element whose text (or label) is `text`,
    checking at every stop that the focus can be seen."""
    for _ in range(most):
        page.keyboard.press(key)
        now = focused(page)
        assert now["tag"] != "body", f"the focus left the page looking for {text!r}"
        assert now["visible"], f"no visible focus on {now}"
        if now["text"] == text or now["label"] == text:
            return now
    raise AssertionError(f"{text!r} is not reachable with {key}")


def press(page, key: str) -> None:
    """A key that sends a form or follows a link: waits for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.fixture
def patron():
    now = timezone.now()
    branch = BranchFactory(code="main", name="Central Library")
    reader = PatronFactory(first_name="Avery", home_branch=branch)
    CardFactory(patron=reader, number=CARD)
    LoanFactory(
        patron=reader,
        item=ItemFactory(branch=branch, title=TitleFactory(title="The Age of Innocence")),
        checked_out_at=now - datetime.timedelta(days=12),
        due_at=now + datetime.timedelta(days=9),
    )
    ItemFactory(
        branch=branch,
        title=TitleFactory(title="A Beginner's Guide to Birds", subjects="Birds"),
    )
    return reader


def test_a_patron_signs_in_renews_places_a_hold_and_signs_out_with_the_keyboard(page, patron):
    page.goto("/")
    # The first Tab stop is the skip link; it takes the focus to the main content.
    page.keyboard.press("Tab")
    first = focused(page)
    assert (first["text"], first["visible"]) == ("Skip to main content", True)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    # From the main content the next Tab stop is inside it, not the header again.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")

    # Back up to the header's "My account" (Shift+Tab), which asks to sign in.
    tab_to(page, "My account", key="Shift+Tab")
    press(page, "Enter")
    assert "/portal/login/" in page.url
    assert focused(page)["id"] == "id_card_number"  # the form is ready for typing
    page.keyboard.type(CARD)
    tab_to(page, "PIN")
    page.keyboard.type(DEFAULT_PIN)
    press(page, "Enter")
    assert page.url.endswith("/portal/")
    assert page.locator("h1").inner_text() == "Hello, Avery"

    # Renew, with Space on the button.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    tab_to(page, "Renew The Age of Innocence")
    press(page, "Space")
    assert "Renewed." in page.locator("[role=status]").inner_text()
    assert "renewed 1" in page.locator("table.records").inner_text()

    # Search the catalog and open the title.
    tab_to(page, "Catalog")
    press(page, "Enter")
    tab_to(page, "Search the catalog for")
    page.keyboard.type("birds")
    press(page, "Enter")
    assert "1 title found" in page.locator("#results-heading").inner_text()
    tab_to(page, "A Beginner's Guide to Birds")
    press(page, "Enter")
    assert page.locator("h1").inner_text() == "A Beginner's Guide to Birds"

    # Place a hold, to be picked up at the home branch the form offers.
    tab_to(page, "Pick it up at")
    tab_to(page, "Place hold")
    press(page, "Enter")
    assert page.url.endswith("/portal/")
    assert "Hold placed" in page.locator("[role=status]").inner_text()
    holds = page.locator("section[aria-labelledby=holds-heading]").inner_text()
    assert re.search(r"A Beginner's Guide to Birds\s+Number 1 in line", holds), holds

    # Sign out: back to the sign-in page, and the account is closed to the next person.
    tab_to(page, "Sign out")
    press(page, "Enter")
    assert "/portal/login/" in page.url
    assert "signed out" in page.locator("[role=status]").inner_text()
    page.goto("/portal/")
    assert "/portal/login/" in page.url
    assert page.outside_requests == []
