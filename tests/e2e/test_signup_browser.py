"""Online sign-up in a real browser, through to the first portal sign-in: a resident
applies from home (in Spanish), opens the emailed link (Django's outbox: the live server
runs in this process), a clerk finds the application by its reference, checks identity
and issues the card with a temporary PIN slip, and the new patron signs in and chooses
their own PIN. Screenshots of each step go to var/screenshots/signup/."""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from patrons.models import SignUp
from staff.roles import CIRCULATION_STAFF
from tests.e2e.accounts import sign_in, staff
from tests.e2e.axe import axe_context, report, violations
from tests.e2e.shots import screenshot
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "signup"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_resident_applies_online_collects_the_card_and_signs_in(browser, live_server):
    BranchFactory(code="main", name="Main Library")
    staff("clerk", CIRCULATION_STAFF)

    home = browser.new_context(
        base_url=live_server.url, locale="es-ES", extra_http_headers={"Accept-Language": "es"}
    ).new_page()
    home.goto("/portal/login/")
    home.get_by_role("link", name="Solicítela en línea").click()
    home.wait_for_load_state()
    assert "Solicitar una tarjeta" in home.locator("h1").inner_text()
    # Bad input first: a malformed email and a birth date in the future.
    home.fill("#id_first_name", "Lucía")
    home.fill("#id_last_name", "Méndez")
    home.fill("#id_email", "lucia-en-example")
    home.fill("#id_birth_date", "2999-01-01")
    home.fill("#id_address_line1", "3 Calle del Lago")
    home.fill("#id_city", "Calumet")
    home.fill("#id_postal_code", "49913")
    home.get_by_role("button", name="Solicitar").click()
    home.wait_for_load_state()
    assert "no puede ser futura" in home.content()
    shot(home, "1-form-with-errors-es")
    assert not SignUp.objects.exists() and mail.outbox == []
    home.fill("#id_email", "lucia@example.org")
    home.fill("#id_birth_date", "1988-11-02")
    home.get_by_role("button", name="Solicitar").click()
    home.wait_for_load_state()
    assert "Revise su correo" in home.locator("h1").inner_text()
    shot(home, "2-sent-es")
    assert len(mail.outbox) == 1 and "Gracias" in mail.outbox[0].body
    link = re.search(r"https?://[^/\s]+(/portal/sign-up/confirm/\S+/)", mail.outbox[0].body)
    home.goto(link.group(1))
    home.get_by_role("button", name="Confirmar mi dirección de correo").click()
    home.wait_for_load_state()
    reference = home.locator("strong.reference").inner_text()
    shot(home, "3-confirmed-es")
    home.context.close()

    desk = browser.new_context(base_url=live_server.url).new_page()
    sign_in(desk, "clerk")
    desk.goto("/admin/patrons/signup/")
    desk.fill("#searchbar", reference)
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    shot(desk, "4-desk-list")
    desk.get_by_role("link", name="Check ID and issue the card").click()
    desk.wait_for_load_state()
    assert desk.input_value("#id_last_name") == "Méndez"
    assert desk.input_value("#id_language") == "es"
    shot(desk, "5-desk-collect")
    desk.click("input[type=submit][value=Register]")
    desk.wait_for_load_state()
    card_number = desk.locator("#slip-card").inner_text()
    temporary = desk.locator("#slip-pin").inner_text()
    shot(desk, "6-slip")
    assert not SignUp.objects.exists()
    desk.context.close()

    patron = browser.new_context(base_url=live_server.url).new_page()
    patron.goto("/portal/login/")
    patron.fill("#id_card_number", card_number)
    patron.fill("#id_pin", temporary)
    patron.locator("form.stack button[type=submit]").click()
    patron.wait_for_load_state()
    assert patron.url.endswith("/portal/pin/")
    patron.fill("#id_current_pin", temporary)
    patron.fill("#id_new_pin", "7391")
    patron.fill("#id_new_pin2", "7391")
    patron.locator("form.stack button[type=submit]").click()
    patron.wait_for_load_state()
    assert patron.url.endswith("/portal/")
    shot(patron, "7-first-sign-in-es")


def test_the_desk_pages_of_online_sign_ups_pass_axe(axe, browser, live_server):
    staff("clerk", CIRCULATION_STAFF)
    signup = SignUp.objects.create(
        first_name="Ada",
        last_name="Byron",
        email="ada@example.org",
        reference="AXECHECK",
        confirmed_at=timezone.now(),
    )
    page = axe_context(browser, live_server.url).new_page()
    sign_in(page, "clerk")
    found = {}
    for name, url in [
        ("online sign-ups", "/admin/patrons/signup/"),
        ("collect an application", f"/admin/patrons/patron/add/?signup={signup.pk}"),
    ]:
        page.goto(url)
        found[name] = violations(page)
    page.context.close()
    assert not any(found.values()), report(found)
