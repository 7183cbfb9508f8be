"""The desk's layout in Chromium: the check-out page fits a phone's width (390 and 320 px)
without scrolling sideways, and the tab bar fits one line at a staff desktop's 1280 px for a
librarian or a clerk (eight tabs, "Lost and damaged" included). Screenshots go to
docs/screenshots/ with `make screenshots`."""

import datetime

import pytest
from django.utils import timezone

from staff.roles import CIRCULATION_STAFF, LIBRARIAN
from tests.e2e.accounts import sign_in, staff
from tests.e2e.shots import screenshot
from tests.factories import (
    BranchFactory,
    CardFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
    ProgramFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def scrolls_sideways(page) -> dict:
    return page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            window: document.documentElement.clientWidth,
            wider: [...document.querySelectorAll('#content *')]
                .filter(e => e.getBoundingClientRect().right
                             > document.documentElement.clientWidth + 1)
                .map(e => e.tagName + (e.id ? '#' + e.id : '')).slice(0, 5),
        })"""
    )


def test_the_check_out_page_fits_a_phone_without_scrolling_sideways(page, screenshots):
    central = BranchFactory(code="main", name="Central Library")
    for name in (
        "Saturday Morning Family Storytime with Songs, Rhymes and Crafts",
        "Introduction to Genealogy: Tracing Your Family Tree in Census Records",
    ):
        ProgramFactory(
            name=name,
            branch=central,
            starts_at=timezone.now() + datetime.timedelta(days=5),
        )
    card = CardFactory(
        number="21234000000001",
        patron=PatronFactory(first_name="Avery", last_name="Lindqvist", home_branch=central),
    )
    LoanFactory(
        patron=card.patron,
        item=ItemFactory(branch=central, status="on_loan", title=TitleFactory(title="Persuasion")),
    )
    HoldFactory(patron=card.patron, title=TitleFactory(title="Middlemarch"), pickup_branch=central)
    staff("clerk", CIRCULATION_STAFF)
    sign_in(page, "clerk")
    page.goto("/admin/circulation/checkout/")
    page.fill("#id_card_number", card.number)
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_program")
    for width in (390, 320):
        page.set_viewport_size({"width": width, "height": 844})
        page.wait_for_function(f"() => document.documentElement.clientWidth === {width}")
        sizes = scrolls_sideways(page)
        assert sizes["page"] <= sizes["window"], (width, sizes)
        select = page.locator("#id_program").bounding_box()
        assert select["x"] + select["width"] <= width, (width, select)
        screenshot(page, path=str(screenshots / f"desk-checkout-{width}.png"), full_page=True)
    assert page.outside_requests == []


def tab_rows(page) -> int:
    """How many lines the desk's tab bar takes."""
    return page.evaluate(
        """() => new Set([...document.querySelectorAll('.desk-tabs a')]
            .map(a => Math.round(a.getBoundingClientRect().top))).size"""
    )


def test_the_librarians_tab_bar_fits_one_line_at_1280_px(page, screenshots):
    """A librarian has every tab, "Lost and damaged" included: one line on a staff desktop
    (with the navigation sidebar open); on a narrow window the tabs wrap."""
    BranchFactory(code="main", name="Central Library")
    staff("librarian", LIBRARIAN)
    sign_in(page, "librarian")
    page.set_viewport_size({"width": 1280, "height": 800})
    for path in ("/admin/circulation/checkout/", "/admin/circulation/lost-damaged/"):
        page.goto(path)
        assert page.locator(".desk-tabs a").count() == 8
        tabs = page.get_by_role("navigation", name="Desk")
        assert tabs.get_by_role("link", name="Lost and damaged").is_visible()
        assert tab_rows(page) == 1, path
        sizes = scrolls_sideways(page)
        assert sizes["page"] <= sizes["window"], sizes
    screenshot(page, path=str(screenshots / "desk-tabs-librarian.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    assert tab_rows(page) > 1  # wraps gracefully, without scrolling sideways
    sizes = scrolls_sideways(page)
    assert sizes["page"] <= sizes["window"], sizes
