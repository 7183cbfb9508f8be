"""The patron portal in a real browser (Debian chromium), as a patron at a shared public
terminal would use it. Takes the account page's screenshots (into docs/screenshots/ only under
`make screenshots`, see the `screenshots` fixture)."""

import datetime

import pytest
from django.utils import timezone

from patrons.models import Card
from tests.e2e.shots import screenshot
from tests.factories import (
    DEFAULT_PIN,
    BranchFactory,
    CardFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def card():
    now = timezone.now()
    branch = BranchFactory(code="main", name="Central Library")
    patron = PatronFactory(first_name="Avery", last_name="Lindqvist", home_branch=branch)
    card = CardFactory(patron=patron, number="21234000000001")
    day = datetime.timedelta(days=1)
    for title, author, out, due in [
        ("Great Expectations", "Dickens, Charles", 30, -9),
        ("The Age of Innocence", "Wharton, Edith", 12, 9),
        ("A Beginner's Guide to Birds", "Nakamura, Ray", 5, 16),
    ]:
        LoanFactory(
            patron=patron,
            item=ItemFactory(branch=branch, title=TitleFactory(title=title, author=author)),
            checked_out_at=now - out * day,
            due_at=now + due * day,
        )
    HoldFactory(
        patron=patron, pickup_branch=branch, waiting=True, title=TitleFactory(title="Middlemarch")
    )
    FineFactory(patron=patron, amount="2.25")
    return card


def sign_in(page, number="21234000000001", pin=DEFAULT_PIN):
    page.goto("/portal/login/")
    page.fill("#id_card_number", number)
    page.fill("#id_pin", pin)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_sign_in_renew_sign_out_and_back_shows_nothing(page, card, screenshots):
    sign_in(page)
    assert page.url.endswith("/portal/")
    assert page.locator("tr.overdue").count() == 1
    assert "Great Expectations" in page.locator("tr.overdue").inner_text()
    page.get_by_role("button", name="Renew The Age of Innocence").click()
    page.wait_for_load_state()
    assert "Renewed." in page.content()

    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, path=str(screenshots / "portal-account-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, path=str(screenshots / "portal-account-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.go_back()
    page.wait_for_load_state()
    html = page.content()
    assert "Great Expectations" not in html and "Avery" not in html
    assert page.outside_requests == []


def test_five_wrong_pins_then_the_right_one_is_refused(page, card):
    for _ in range(5):
        sign_in(page, pin="9999")
    sign_in(page)
    assert "Sign-in paused" in page.content()
    assert "try again after" in page.content()
    assert not page.url.endswith("/portal/")


def test_a_lost_card_report_ends_the_session_and_blocks_sign_in(page, card):
    sign_in(page)
    page.get_by_role("link", name="Report my card lost").click()
    page.check("#id_confirm")
    page.get_by_role("button", name="Report my card lost").click()
    page.wait_for_load_state()
    assert "Your card has been stopped" in page.content()
    assert Card.objects.get(pk=card.pk).status == Card.Status.LOST
    page.goto("/portal/")
    assert "/portal/login/" in page.url
    sign_in(page)
    assert "Card number or PIN not accepted" in page.content()


def test_the_account_works_without_javascript(page_without_js, card):
    page = page_without_js
    sign_in(page)
    assert "Great Expectations" in page.content()
    page.get_by_role("button", name="Renew all").click()
    page.wait_for_load_state()
    assert "renewed" in page.content()


def test_the_language_list_shows_its_options_whole_at_1280_px(page, card, screenshots):
    """The first option ("Not chosen: my browser's language …") is the longest: the list
    is wide enough for it, in English and in Spanish."""
    sign_in(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    for language in ("en", "es"):
        page.set_extra_http_headers({"Accept-Language": language})
        page.goto("/portal/notices/")
        room = page.evaluate(
            """() => {
                const select = document.querySelector('#language');
                const style = getComputedStyle(select);
                const canvas = document.createElement('canvas').getContext('2d');
                canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                const widest = Math.max(...[...select.options]
                    .map(o => canvas.measureText(o.text).width));
                const inner = select.clientWidth - parseFloat(style.paddingLeft)
                    - parseFloat(style.paddingRight);
                return {widest, inner, page: document.documentElement.scrollWidth};
            }"""
        )
        # The closed list's arrow takes some 15 px of the inner width.
        assert room["widest"] + 15 <= room["inner"], (language, room)
        assert room["page"] <= 1280, room
        screenshot(page, path=str(screenshots / f"portal-notices-{language}.png"))


WIDER_THAN_ROOM = """() => [...document.querySelectorAll('table')]
    .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1)
    .map(t => t.closest('section').querySelector('h2').textContent)"""


def test_all_my_data_fits_the_page_on_screen_on_paper_and_on_a_phone(page, card, screenshots):
    """The loans table has nine columns: every column stays on the page on a desktop
    screen and on paper (a table in print-sized type), and on a phone each loan is a card
    whose values keep their labels."""
    sign_in(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/portal/data/all/")
    assert page.evaluate(WIDER_THAN_ROOM) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, path=str(screenshots / "portal-my-data-screen.png"), full_page=True)

    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 1000})  # A4's width within its margins
    assert page.evaluate(WIDER_THAN_ROOM) == []
    loans = page.locator("section.data-kind:has(#kind-loan) table")
    assert loans.evaluate("t => getComputedStyle(t).display") == "table"
    assert loans.locator("thead th").last.is_visible()  # "Erased", the last column
    screenshot(page, path=str(screenshots / "portal-my-data-print.png"), full_page=True)

    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(WIDER_THAN_ROOM) == []
    label = loans.locator("td").first.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Title"'
