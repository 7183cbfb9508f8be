"""axe-core (WCAG 2.1 A and AA) on the library calendar's staff pages: the branch page
with its opening hours and closed days (also when it comes back with an error) and the
list of closed days, with the helper of tests/e2e/axe.py."""

import datetime

import pytest

from circulation.models import BranchClosure, OpeningHours
from tests.e2e.accounts import LIBRARY_ADMINISTRATOR, staff
from tests.e2e.accounts import sign_in as sign_in_as
from tests.e2e.axe import axe_context, report, violations
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_wcag_violation_on_the_branch_page_and_the_closed_days(axe, browser, live_server):
    staff("director", LIBRARY_ADMINISTRATOR)
    branch = BranchFactory(name="Eastside Branch")
    for weekday in range(5):
        OpeningHours.objects.create(
            branch=branch, weekday=weekday, opens=datetime.time(10), closes=datetime.time(19)
        )
    BranchClosure.objects.create(date=datetime.date(2000, 12, 25), yearly=True, reason="Christmas")
    BranchClosure.objects.create(branch=branch, date=datetime.date(2026, 8, 3), reason="Training")
    context = axe_context(browser, live_server.url)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_as(page, "director")
    found = {}
    page.goto("/admin/circulation/branchclosure/")
    assert "All branches" in page.inner_text("#result_list")
    found["closed days"] = violations(page)
    page.goto("/admin/circulation/branchclosure/add/")
    found["add a closed day"] = violations(page)
    page.goto(f"/admin/circulation/branch/{branch.pk}/change/")
    found["branch"] = violations(page)
    page.fill("#id_hours-5-opens", "16:00")  # Saturday, closing before it opens
    page.fill("#id_hours-5-closes", "10:00")
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert "A branch must close after it opens." in page.inner_text("#content")
    found["branch with an error"] = violations(page)
    context.close()
    if any(found.values()):
        pytest.fail(f"axe-core on the calendar's pages:\n{report(found)}", pytrace=False)
