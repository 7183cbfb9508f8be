"""axe-core (WCAG 2.1 A and AA) on the desk home and the disclosure pages, with the helper
of tests/e2e/axe.py (which says where axe-core comes from)."""

import pytest

from disclosures import services
from privacy.legal_holds import sync_record_kind_names
from tests.e2e.accounts import CIRCULATION_STAFF, LIBRARY_ADMINISTRATOR, staff
from tests.e2e.accounts import sign_in as sign_in_as
from tests.e2e.axe import axe_context, report, violations
from tests.e2e.test_staff_pages_browser import a_busy_patron
from tests.factories import CardFactory, PatronFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_wcag_violation_on_the_desk_home_and_the_disclosure_pages(
    axe, browser, live_server, settings, tmp_path
):
    sync_record_kind_names()
    settings.MEDIA_ROOT = tmp_path / "private"
    clerk = staff("clerk", CIRCULATION_STAFF)
    staff("director", LIBRARY_ADMINISTRATOR)
    card = CardFactory(patron=PatronFactory())
    request = services.disclosure_record(
        details=services.RequestDetails(
            agency="Sheriff",
            requester_name="Det. Halloran",
            legal_basis="subpoena",
            non_disclosure_order="no",
            kinds=["loan"],
            card_numbers=[card.number],
        ),
        actor=clerk,
    )
    context = axe_context(browser, live_server.url)
    page = context.new_page()
    found = {}
    sign_in_as(page, "clerk")
    found["desk home"] = violations(page)
    page.context.clear_cookies()
    sign_in_as(page, "director")
    for name, url in (
        ("disclosure request", f"/admin/disclosures/disclosurerequest/{request.pk}/change/"),
        ("completion", f"/admin/disclosures/disclosurerequest/{request.pk}/complete/"),
        ("record a request", "/admin/disclosures/disclosurerequest/add/"),
    ):
        page.goto(url)
        found[name] = violations(page)
    context.close()
    if any(found.values()):
        pytest.fail(f"axe-core on the staff pages:\n{report(found)}", pytrace=False)


def test_no_wcag_violation_on_the_desk_pages_and_the_patrons_page(axe, browser, live_server):
    """Every desk page a clerk opens (with a patron at the desk where it shows one), the
    patron's admin page with loans, holds, fines and a block, and the registration form."""
    staff("clerk", CIRCULATION_STAFF)
    patron, _card = a_busy_patron()
    context = axe_context(browser, live_server.url)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_as(page, "clerk")
    found = {}
    for slug in (
        "checkout",
        "checkin",
        "renew",
        "hold-shelf",
        "holds-to-pull",
        "in-transit",
        "payment",
        "reading-history",
        "visits",
    ):
        page.goto(f"/admin/circulation/{slug}/")
        assert page.locator("#content h1").count() == 1, slug
        found[slug] = violations(page)
    # With the patron at the desk (from the patron's page): the panel, loans, fines.
    for button, slug in (("Check out to this patron", "checkout"), ("Take payment", "payment")):
        page.goto(f"/admin/patrons/patron/{patron.pk}/change/")
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        assert f"/admin/circulation/{slug}/" in page.url
        assert "Quennell-Harrington" in page.inner_text("#content"), slug
        found[f"{slug} with a patron"] = violations(page)
    page.goto(f"/admin/patrons/patron/{patron.pk}/change/")
    assert page.locator(".patron-facts").count() == 1
    found["patron's page"] = violations(page)
    page.goto("/admin/patrons/patron/add/")
    found["register a patron"] = violations(page)
    context.close()
    if any(found.values()):
        pytest.fail(f"axe-core on the desk pages:\n{report(found)}", pytrace=False)
