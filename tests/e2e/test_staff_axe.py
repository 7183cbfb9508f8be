"""axe-core (WCAG 2.1 A and AA) on the desk home and the disclosure pages, with the helper
of tests/e2e/axe.py (which says where axe-core comes from)."""

import pytest

from tests.e2e.axe import axe_context, report, violations
from tests.e2e.test_staff_home_browser import CIRCULATION_STAFF, LIBRARY_ADMINISTRATOR, staff
from tests.e2e.test_staff_home_browser import sign_in as sign_in_as
from tests.factories import CardFactory, PatronFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_wcag_violation_on_the_desk_home_and_the_disclosure_pages(
    axe, browser, live_server, settings, tmp_path
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
