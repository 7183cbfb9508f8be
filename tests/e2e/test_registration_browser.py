"""From registration to sign-in in a real browser: a clerk registers a patron and prints
the slip with a temporary PIN; the patron signs in, is made to choose their own PIN and
sees their account; later the patron forgets the PIN, resets it from the emailed link
(Django's outbox: the live server runs in this process) and signs in."""

import re

import pytest
from django.core import mail

from staff.roles import CIRCULATION_STAFF
from tests.e2e.accounts import sign_in, staff
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db(transaction=True)


def portal_sign_in(page, card_number, pin):
    page.goto("/portal/login/")
    page.fill("#id_card_number", card_number)
    page.fill("#id_pin", pin)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_a_clerk_registers_a_patron_who_signs_in_and_later_resets_the_pin(browser, live_server):
    BranchFactory(code="main", name="Main Library")
    staff("clerk", CIRCULATION_STAFF)

    desk = browser.new_context(base_url=live_server.url).new_page()
    sign_in(desk, "clerk")
    desk.goto("/admin/patrons/patron/add/")
    desk.fill("#id_first_name", "Ruth")
    desk.fill("#id_last_name", "Okafor")
    desk.fill("#id_birth_date", "1991-03-04")
    desk.fill("#id_address_line1", "12 Lake Street")
    desk.fill("#id_email", "ruth@example.org")
    desk.select_option("#id_home_branch", label="Main Library")
    desk.click("input[type=submit][value=Register]")
    desk.wait_for_load_state()
    card_number = desk.locator("#slip-card").inner_text()
    temporary = desk.locator("#slip-pin").inner_text()
    assert re.fullmatch(r"21234\d{9}", card_number) and re.fullmatch(r"\d{6}", temporary)
    desk.context.close()

    patron = browser.new_context(base_url=live_server.url).new_page()
    portal_sign_in(patron, card_number, temporary)
    assert patron.url.endswith("/portal/pin/")
    assert "Choose your own PIN" in patron.locator("h1").inner_text()
    patron.goto("/portal/")  # anything else leads back to the PIN page
    assert patron.url.endswith("/portal/pin/")
    patron.fill("#id_current_pin", temporary)
    patron.fill("#id_new_pin", "1234")
    patron.fill("#id_new_pin2", "1234")
    patron.get_by_role("button", name="Change PIN").click()
    patron.wait_for_load_state()
    assert "run of digits" in patron.content()
    patron.fill("#id_current_pin", temporary)
    patron.fill("#id_new_pin", "7391")
    patron.fill("#id_new_pin2", "7391")
    patron.get_by_role("button", name="Change PIN").click()
    patron.wait_for_load_state()
    assert patron.url.endswith("/portal/")
    assert "Your PIN has been changed." in patron.content()
    patron.get_by_role("button", name="Sign out").click()
    patron.wait_for_load_state()

    # Weeks later: the PIN is forgotten.
    patron.goto("/portal/login/")
    patron.get_by_role("link", name="Forgot your PIN?").click()
    patron.fill("#id_card_number", card_number)
    patron.fill("#id_email", "ruth@example.org")
    patron.get_by_role("button", name="Send me a link").click()
    patron.wait_for_load_state()
    assert "If that card number and email address belong to an account" in patron.content()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/portal/pin/reset/\S+/)", mail.outbox[0].body).group(1)
    patron.goto(link)
    assert patron.url.endswith("/portal/pin/reset/new/")  # the token left the address bar
    patron.fill("#id_card_number", card_number)
    patron.fill("#id_new_pin", "5820")
    patron.fill("#id_new_pin2", "5820")
    patron.get_by_role("button", name="Set my new PIN").click()
    patron.wait_for_load_state()
    assert "Your new PIN is set" in patron.content()
    portal_sign_in(patron, card_number, "5820")
    assert patron.url.endswith("/portal/")
    assert "Ruth" in patron.content()
    # The link worked once.
    patron.goto(link)
    patron.fill("#id_card_number", card_number)
    patron.fill("#id_new_pin", "4826")
    patron.fill("#id_new_pin2", "4826")
    patron.get_by_role("button", name="Set my new PIN").click()
    patron.wait_for_load_state()
    assert "Ask for a new link" in patron.content()
