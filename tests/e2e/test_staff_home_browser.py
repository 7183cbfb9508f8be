"""The staff side in a real browser: the clerk lands on the desk home; the library
administrator completes a disclosure request recorded without its document and approves
it. Screenshots go to docs/screenshots/ with `make screenshots`."""

import pytest

from disclosures import services
from privacy.legal_holds import sync_record_kind_names
from staff.roles import CIRCULATION_STAFF, LIBRARY_ADMINISTRATOR
from tests.e2e.accounts import sign_in, staff
from tests.e2e.shots import screenshot
from tests.factories import CardFactory, PatronFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_clerk_lands_on_the_desk_home(page, screenshots):
    staff("clerk", CIRCULATION_STAFF)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "clerk")
    assert page.url.endswith("/admin/circulation/desk/")
    for action in ("Check out", "Check in", "Renew", "Hold shelf", "Take payment"):
        assert page.get_by_role("link", name=action).first.is_visible()
    screenshot(page, path=str(screenshots / "staff-desk-home.png"), full_page=True)
    page.get_by_role("link", name="Check out").first.click()
    page.wait_for_load_state()
    assert "/admin/circulation/checkout/" in page.url
    assert page.outside_requests == []


def test_the_administrator_completes_and_approves_a_request(page, screenshots, settings, tmp_path):
    sync_record_kind_names()  # emptied by an earlier transactional test's flush
    settings.MEDIA_ROOT = tmp_path / "private"
    clerk = staff("clerk", CIRCULATION_STAFF)
    staff("director", LIBRARY_ADMINISTRATOR)
    card = CardFactory(patron=PatronFactory())
    request = services.disclosure_record(
        details=services.RequestDetails(
            agency="County Sheriff's Office",
            requester_name="Det. R. Halloran",
            legal_basis="subpoena",
            non_disclosure_order="no",
            kinds=["loan"],
            card_numbers=[card.number],
            issuing_authority="Circuit Court",
        ),
        actor=clerk,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "director")
    page.goto(f"/admin/disclosures/disclosurerequest/{request.pk}/change/")
    assert page.get_by_text("Approve is not possible yet").count() == 1
    assert page.get_by_role("button", name="Approve and build the package").count() == 0
    screenshot(page, path=str(screenshots / "staff-disclosure-incomplete.png"), full_page=True)
    page.get_by_role("link", name="Add the missing details").click()
    page.fill("#id_case_number", "2026-CR-0042")
    (tmp_path / "subpoena.pdf").write_bytes(b"%PDF-1.4 subpoena")
    page.set_input_files("#id_document", str(tmp_path / "subpoena.pdf"))
    screenshot(page, path=str(screenshots / "staff-disclosure-complete.png"), full_page=True)
    page.get_by_role("button", name="Add to the request").click()
    page.wait_for_load_state()
    assert page.get_by_text("Added to the request.").is_visible()
    page.fill("#id_reason", "Valid subpoena, complete.")
    page.get_by_role("button", name="Approve and build the package").click()
    page.wait_for_load_state()
    assert page.get_by_text("Approved. The release package is ready").is_visible()
    assert page.outside_requests == []
