"""axe-core (WCAG 2.1 A and AA) on the desk home and the disclosure pages. Runs when
CALUMET_AXE_CORE names axe.min.js (`npm install axe-core` in a folder git ignores);
skipped otherwise."""

import json
import os

import pytest

from tests.e2e.test_staff_home_browser import CIRCULATION_STAFF, LIBRARY_ADMINISTRATOR, staff
from tests.e2e.test_staff_home_browser import sign_in as sign_in_as
from tests.factories import CardFactory, PatronFactory

pytestmark = pytest.mark.django_db(transaction=True)
AXE = os.environ.get("CALUMET_AXE_CORE", "")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page) -> list[str]:
    page.add_script_tag(path=AXE)
    result = page.evaluate("(tags) => axe.run({runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}) e.g. {v['nodes'][0]['html'][:120]}"
        for v in result["violations"]
    ]


@pytest.mark.skipif(not os.path.exists(AXE), reason="CALUMET_AXE_CORE not set")
def test_no_wcag_violation_on_the_desk_home_and_the_disclosure_pages(
    browser, live_server, settings, tmp_path
):
    from disclosures import services
    from patrons.legal_holds import sync_record_kind_names

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
            kinds=["loan"],
            card_numbers=[card.number],
        ),
        actor=clerk,
    )
    # axe is injected as a script the site's Content Security Policy would refuse.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
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
    found = {name: v for name, v in found.items() if v}
    assert not found, json.dumps(found, indent=1)


@pytest.mark.skipif(not os.path.exists(AXE), reason="CALUMET_AXE_CORE not set")
def test_no_wcag_violation_on_the_desk_pages_and_the_patrons_page(browser, live_server):
    """Every desk page a clerk opens (with a patron at the desk where it shows one), the
    patron's admin page with loans, holds, fines and a block, and the registration form."""
    from tests.e2e.test_staff_pages_browser import a_busy_patron

    staff("clerk", CIRCULATION_STAFF)
    patron, _card = a_busy_patron()
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
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
    found = {name: v for name, v in found.items() if v}
    assert not found, json.dumps(found, indent=1)
