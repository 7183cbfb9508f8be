"""Staff pages in Chromium, checked with axe-core (WCAG 2.1 AA): the Roles
page (and a change saved from it), the expunge's preview and a run's counts, the closed
days calendar, the administrator's disclosure page naming the patron, and a staff 500.
With CALUMET_SCREENSHOTS=<folder>, each page is also saved there at 1280 px."""

import datetime
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from circulation.models import BranchClosure
from disclosures import services as disclosures
from privacy.models import ExpungeRun
from staff import roles
from tests.e2e.accounts import CIRCULATION_STAFF, LIBRARY_ADMINISTRATOR, staff
from tests.e2e.accounts import sign_in as sign_in_as
from tests.e2e.axe import axe_context, report, violations
from tests.e2e.shots import screenshot
from tests.factories import BranchFactory, CardFactory, LoanFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("CALUMET_SCREENSHOTS", "")


def shoot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        screenshot(page, path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_the_pages_of_roles_expunge_calendar_and_disclosure(axe, browser, live_server):
    staff("director", LIBRARY_ADMINISTRATOR)
    clerk = staff("clerk", CIRCULATION_STAFF)
    branch = BranchFactory(name="Eastside Branch")
    today = timezone.localdate()
    BranchClosure.objects.create(date=datetime.date(2000, 12, 25), yearly=True, reason="Christmas")
    BranchClosure.objects.create(branch=branch, date=today, reason="Staff training")
    long_ago = timezone.now() - datetime.timedelta(days=4000)
    LoanFactory(
        checked_out_at=long_ago,
        due_at=long_ago + datetime.timedelta(days=21),
        returned_at=long_ago + datetime.timedelta(days=7),
    )
    card = CardFactory(patron__first_name="Ada", patron__last_name="Lovelace")
    request = disclosures.disclosure_record(
        details=disclosures.RequestDetails(
            agency="Sheriff",
            requester_name="Det. Halloran",
            legal_basis="subpoena",
            non_disclosure_order="no",
            kinds=["loan"],
            card_numbers=[card.number],
            issuing_authority="Circuit Court",
            case_number="CV-1",
            issued_on=today,
        ),
        actor=clerk,
    )

    context = axe_context(browser, live_server.url)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_as(page, "director")
    found = {}

    page.goto("/admin/staff/roles/")
    found["roles"] = violations(page)
    shoot(page, "roles")
    page.uncheck(f"#p{_pk('declare_item_lost')}r0")  # clerks may no longer declare lost
    page.click("button[type=submit]:has-text('Save roles')")
    page.wait_for_load_state()
    assert "Roles saved: 1 change." in page.inner_text("body")
    clerks = Group.objects.get(name=roles.CIRCULATION_STAFF)
    assert not clerks.permissions.filter(codename="declare_item_lost").exists()
    found["roles saved"] = violations(page)

    page.goto("/admin/privacy/expunge-now/")
    page.click("button:has-text('Preview')")
    page.wait_for_load_state()
    assert "nothing was removed" in page.inner_text("#content")
    found["expunge preview"] = violations(page)
    shoot(page, "expunge_preview")
    run = ExpungeRun.objects.get(dry_run=True)
    page.goto(f"/admin/privacy/expungerun/{run.pk}/change/")
    assert "unlinked from the patron" in page.inner_text("#content").lower()
    found["expunge run"] = violations(page)
    shoot(page, "expunge_run")

    page.goto("/admin/circulation/closed-days-calendar/")
    assert "Staff training" in page.inner_text("table.month-calendar")
    found["closed days calendar"] = violations(page)
    shoot(page, "closed_days_calendar")

    page.goto(f"/admin/disclosures/disclosurerequest/{request.pk}/change/")
    text = page.inner_text("#content")
    assert f"Ada Lovelace, card {card.masked_number}" in text and "Patron #" not in text
    found["disclosure decision"] = violations(page)
    shoot(page, "disclosure_decision")

    page.goto("/admin/no-such-page/")
    found["staff 404"] = violations(page)
    context.close()

    # The clerk is told who may, in the staff layout.
    context = axe_context(browser, live_server.url)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_as(page, "clerk")
    page.goto("/admin/circulation/closed-days-calendar/")
    assert "The roles Librarian and Library administrator may." in page.inner_text("#content")
    found["staff 403"] = violations(page)
    shoot(page, "staff_403")
    context.close()
    if any(found.values()):
        pytest.fail(f"axe-core on these staff pages:\n{report(found)}", pytrace=False)


def _pk(codename: str) -> int:
    return Permission.objects.get(codename=codename).pk


def test_a_staff_500_in_chromium(axe, browser, live_server, settings):
    settings.ROOT_URLCONF = "tests.staff.urls_boom"
    staff("librarian", roles.LIBRARIAN)
    context = axe_context(browser, live_server.url)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_as(page, "librarian")
    response = page.goto("/admin/boom/")
    assert response.status == 500
    assert "Back to the staff home" in page.inner_text("#content")
    found = {"staff 500": violations(page)}
    shoot(page, "staff_500")
    context.close()
    if any(found.values()):
        pytest.fail(f"axe-core on the staff 500:\n{report(found)}", pytrace=False)
