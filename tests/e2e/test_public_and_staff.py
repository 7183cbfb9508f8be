"""The public pages and the staff sign-in, in a real browser."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from staff.roles import LIBRARY_ADMINISTRATOR

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_and_privacy_pages_load_nothing_from_other_sites(page):
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Welcome to")
    page.get_by_role("link", name="Your privacy").click()
    assert page.locator("h1").inner_text() == "Privacy and the confidentiality of your records"
    # The retention table is there, with a row per kind of record.
    assert page.locator("#retention-loan").is_visible()
    assert page.locator("#retention-patron").inner_text().count("730 days") == 1
    assert page.outside_requests == []


def test_privacy_page_works_without_javascript_on_a_phone(page_without_js):
    page_without_js.set_viewport_size({"width": 390, "height": 844})
    page_without_js.goto("/privacy/")
    row = page_without_js.locator("#retention-computer_session")
    assert row.is_visible()
    # The table reflows into one block per record kind: nothing wider than the screen.
    width = page_without_js.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_library_administrator_signs_in_to_the_admin(page):
    """A real browser form post: catches settings (such as a referrer policy of
    no-referrer, which makes browsers send `Origin: null`) that break CSRF on sign-in."""
    user = get_user_model().objects.create_user("director", password="calumet-demo", is_staff=True)
    user.groups.add(Group.objects.get(name=LIBRARY_ADMINISTRATOR))

    page.goto("/admin/login/")
    page.fill("#id_username", "director")
    page.fill("#id_password", "calumet-demo")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/admin/")
    assert page.get_by_role("link", name="Retention policies").is_visible()
    page.get_by_role("link", name="Loans").click()
    assert "Select loan to change" in page.content()
    assert page.outside_requests == []
