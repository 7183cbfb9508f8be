"""Staff second factor (TOTP + backup codes) for the admin, when CALUMET_STAFF_2FA is on."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import STAFF_PASSWORD

pytestmark = pytest.mark.django_db

#: The first second of a 30-second TOTP step.
STEP_START = datetime.datetime(2026, 3, 11, 18, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.CALUMET_STAFF_2FA = True


def password_login(user) -> Client:
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": user.username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302
    return client


def current_code(device: TOTPDevice, ahead: int = 0) -> str:
    """The code the app shows now (or `ahead` steps later, within the device's tolerance)."""
    drift = device.drift + ahead
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def enrol(client: Client, user) -> list[str]:
    response = client.get("/admin/2fa/setup/")
    assert response.status_code == 200
    assert b"data:image/svg+xml;base64," in response.content  # the QR code, no external image
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/admin/2fa/setup/", {"token": current_code(device)})
    assert response.status_code == 200
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10
    for code in codes:
        assert code.encode() in response.content  # shown once, now
    return codes


def test_a_password_alone_does_not_open_the_admin(clerk):
    client = password_login(clerk)
    assert client.get("/admin/").status_code == 302
    response = client.get("/admin/circulation/checkout/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/admin/2fa/setup/")
    assert client.get("/admin/circulation/checkout/").status_code == 302


def test_enrolment_then_the_admin_opens(clerk):
    client = password_login(clerk)
    enrol(client, clerk)
    assert client.get("/admin/circulation/checkout/").status_code == 200
    assert TOTPDevice.objects.get(user=clerk).confirmed


def test_a_wrong_code_at_enrolment_is_refused(clerk):
    client = password_login(clerk)
    client.get("/admin/2fa/setup/")
    response = client.post("/admin/2fa/setup/", {"token": "000000"})
    assert b"That code is not valid" in response.content
    assert not TOTPDevice.objects.get(user=clerk).confirmed
    assert client.get("/admin/").status_code == 302


def test_the_next_sign_in_asks_for_a_code_and_a_backup_code_works_once(clerk):
    # The clock stands still unless the test moves it: a code is for a 30-second step, and
    # a slow run must not cross into the next step unseen (django-otp reads time.time
    # through its own reference, which only a clock like time-machine's stops).
    with time_machine.travel(STEP_START, tick=False) as clock:
        codes = enrol(password_login(clerk), clerk)
        client = password_login(clerk)
        response = client.get("/admin/", follow=True)
        assert response.redirect_chain[-1][0].startswith("/admin/2fa/")
        assert client.post("/admin/2fa/", {"token": codes[0]}).status_code == 302
        home = client.get("/admin/", follow=True)  # the clerk's home is the desk home
        assert home.status_code == 200 and "/2fa/" not in home.request["PATH_INFO"]

        again = password_login(clerk)
        response = again.post("/admin/2fa/", {"token": codes[0]})
        assert b"That code is not valid" in response.content  # used up
        device = TOTPDevice.objects.get(user=clerk)
        device.throttle_reset()
        # The code used at enrolment cannot be replayed, still in its own time step.
        assert again.post("/admin/2fa/", {"token": current_code(device)}).status_code == 200
        device.refresh_from_db()
        device.throttle_reset()
        clock.shift(device.step)  # the app shows its next code
        assert again.post("/admin/2fa/", {"token": current_code(device)}).status_code == 302
        assert again.get("/admin/")["Location"] == "/admin/circulation/desk/"  # signed in


def test_wrong_codes_lock_the_account_like_wrong_passwords(clerk, settings):
    enrol(password_login(clerk), clerk)
    client = password_login(clerk)
    statuses = [client.post("/admin/2fa/", {"token": "123456"}).status_code for _ in range(6)]
    assert 429 in statuses
    assert (
        b"Too many failed sign-in attempts"
        in client.post("/admin/2fa/", {"token": "123456"}).content
        or client.get("/admin/").status_code == 302
    )
    # Locked: even the right password is refused now.
    fresh = Client()
    response = fresh.post("/admin/login/", {"username": clerk.username, "password": STAFF_PASSWORD})
    assert response.status_code == 429


def test_the_code_never_reaches_axes_records(clerk):
    enrol(password_login(clerk), clerk)
    client = password_login(clerk)
    client.post("/admin/2fa/", {"token": "654321"})
    text = " ".join(f"{a.get_data} {a.post_data} {a.username}" for a in AccessAttempt.objects.all())
    assert "654321" not in text
