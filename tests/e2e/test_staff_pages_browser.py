"""The staff side in Chromium at a staff desktop's width (1280 px): each role's home, the
patron's page a clerk reads at a glance, and the two access reports, which fit the window
with realistic rows in them. Screenshots go to docs/screenshots/ with `make screenshots`."""

import datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from circulation.models import Fine, Hold, Loan, Visit
from privacy.access import log_access
from staff.roles import CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR
from tests.e2e.accounts import sign_in, staff
from tests.e2e.shots import screenshot
from tests.factories import (
    BranchFactory,
    CardFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    LoanFactory,
    PatronBlockFactory,
    PatronFactory,
    TitleFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"width": 1280, "height": 800}


def fits_the_window(page) -> dict:
    """The page's width against the window's: no horizontal scroll bar, no table wider
    than its box."""
    return page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            window: document.documentElement.clientWidth,
            tables: [...document.querySelectorAll('table')]
                .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length,
        })"""
    )


def a_busy_patron():
    """A patron with what a real account holds: loans (one overdue), holds (one ready),
    fines, a block, visits."""
    main = BranchFactory(name="Main Library")
    patron = PatronFactory(first_name="Philippa", last_name="Quennell-Harrington")
    card = CardFactory(patron=patron, number="21234500001234")
    now = timezone.now()
    titles = [
        "The Left Hand of Darkness",
        "A Field Guide to the Birds of the Great Lakes Region, Second Edition",
        "Middlemarch",
        "The Structure of Scientific Revolutions",
    ]
    for number, title in enumerate(titles):
        LoanFactory(
            patron=patron,
            item=ItemFactory(title=TitleFactory(title=title), branch=main),
            checked_out_at=now - datetime.timedelta(days=10 + number * 9),
        )
    HoldFactory(patron=patron, title=TitleFactory(title="Braiding Sweetgrass"), pickup_branch=main)
    HoldFactory(
        patron=patron, title=TitleFactory(title="Piranesi"), pickup_branch=main, waiting=True
    )
    FineFactory(patron=patron, amount="4.50")
    FineFactory(patron=patron, amount="12.00", reason="lost")
    PatronBlockFactory(patron=patron, reason="unpaid", note="Fines over $15: pay to borrow.")
    VisitFactory(patron=patron)
    return patron, card


def access_entries(patron, users):
    """Access entries as weeks of work leave them: several staff in different roles and
    branches, desk and admin pages, records of many kinds, IPv6 addresses."""
    records = [
        patron,
        *Loan.objects.filter(patron=patron),
        *Hold.objects.filter(patron=patron),
        *Fine.objects.filter(patron=patron),
        *Visit.objects.filter(patron=patron),
    ]
    pages = [
        "admin:patrons.patron:change",
        "desk:checkout",
        "admin:circulation.loan:list",
        "desk:payment",
        "admin:patrons.patron:temporary_pin",
        "desk:hold_shelf",
    ]
    for number in range(30):
        request = RequestFactory().get(
            "/admin/", REMOTE_ADDR=f"2001:db8:85a3:1234:5678:8a2e:370:{7000 + number}"
        )
        request.user = users[number % len(users)]
        request.session = {"calumet_desk": {"branch_name": "Hegewisch Branch Library"}}
        log_access(
            records[: 2 + number % len(records)],
            request=request,
            page=pages[number % len(pages)],
            access="listed" if number % 4 == 0 else "opened",
        )


def test_each_role_starts_where_its_work_is(page, screenshots):
    staff("clerk", CIRCULATION_STAFF)
    staff("librarian", LIBRARIAN)
    staff("director", LIBRARY_ADMINISTRATOR)
    page.set_viewport_size(DESKTOP)
    first_group = {}
    for username, shot in (
        ("clerk", "staff-home-clerk.png"),
        ("librarian", "staff-home-librarian.png"),
        ("director", "staff-home-administrator.png"),
    ):
        page.context.clear_cookies()
        sign_in(page, username)
        nav = page.locator("#nav-sidebar .module caption, #content-main .module caption")
        first_group[username] = nav.first.text_content().strip()
        assert fits_the_window(page)["page"] <= DESKTOP["width"]
        screenshot(page, path=str(screenshots / shot), full_page=True)
    assert page.outside_requests == []
    assert first_group == {
        "clerk": "Desk",
        "librarian": "Catalog",
        "director": "Privacy and audit",
    }


def test_the_clerk_reads_the_patrons_page_at_a_glance(page, screenshots):
    staff("clerk", CIRCULATION_STAFF)
    patron, _card = a_busy_patron()
    page.set_viewport_size(DESKTOP)
    sign_in(page, "clerk")
    page.goto(f"/admin/patrons/patron/{patron.pk}/change/")
    facts = page.locator(".patron-facts")
    assert facts.is_visible()
    text = facts.inner_text()
    for expected in ("…1234, active", "Unpaid fines or fees", "$16.50", "4 checked out, 2 overdue"):
        assert expected in text, text
    assert "1 ready for pickup" in text
    # The summary is in the first screen, above the lists and the form.
    box = facts.bounding_box()
    assert box["y"] + box["height"] < DESKTOP["height"]
    assert page.get_by_role("heading", name="Loans (4)").is_visible()
    assert page.get_by_role("link", name="Middlemarch").is_visible()
    assert fits_the_window(page) == {
        "page": DESKTOP["width"],
        "window": DESKTOP["width"],
        "tables": 0,
    }
    screenshot(page, path=str(screenshots / "staff-patron-page.png"), full_page=True)
    assert page.outside_requests == []


def test_the_access_reports_fit_a_1280_pixel_window(page, screenshots, settings):
    settings.CALUMET_AUDIT_REPEAT_MINUTES = 0
    clerk = staff("clerk", CIRCULATION_STAFF)
    clerk.first_name, clerk.last_name = "Maximiliana", "Featherstonehaugh-Wojciechowski"
    clerk.save()
    librarian = staff("librarian", LIBRARIAN)
    director = staff("director", LIBRARY_ADMINISTRATOR)
    patron, card = a_busy_patron()
    access_entries(patron, [clerk, librarian, director])
    page.set_viewport_size(DESKTOP)
    sign_in(page, "director")

    page.goto("/admin/auditlog/patron-access/")
    page.fill("#id_card_number", card.number)
    page.get_by_role("button", name="Show accesses").click()
    page.wait_for_load_state()
    rows = page.locator("table.access-report tbody tr")
    assert rows.count() >= 30
    assert fits_the_window(page) == {
        "page": DESKTOP["width"],
        "window": DESKTOP["width"],
        "tables": 0,
    }
    # Each time on one line, in the library's time zone, as people write it.
    lines = page.locator("table.access-report td.when").evaluate_all(
        """cells => cells.map(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        })"""
    )
    assert lines and set(lines) == {1}, lines
    when = page.locator("table.access-report td.when").first
    text = page.locator("table.access-report").inner_text()
    assert "admin:" not in text and "desk:" not in text and "_" not in text
    assert "T" not in when.inner_text()[4:]
    screenshot(page, path=str(screenshots / "staff-patron-access-report.png"), full_page=True)

    page.goto("/admin/auditlog/staff-access/")
    assert page.locator("table.access-report tbody tr").count() >= 3
    assert fits_the_window(page) == {
        "page": DESKTOP["width"],
        "window": DESKTOP["width"],
        "tables": 0,
    }
    assert page.outside_requests == []
