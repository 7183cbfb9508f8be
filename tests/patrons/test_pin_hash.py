"""The hash kept for PINs and terminal secrets: Argon2id at OWASP's minimum, not the
staff passwords' heavier settings; older hashes still work, and a PIN hashed the old way
is re-hashed the next time it is accepted (nothing else about the patron changes)."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from core.hashers import pin_hash_outdated
from patrons import pins
from sip2 import selectors as sip2_selectors
from sip2 import services as sip2_services
from sip2.models import Terminal
from tests.factories import DEFAULT_PIN, BranchFactory, CardFactory, PatronFactory

pytestmark = pytest.mark.django_db

NUMBER = "21234777700021"


def params(encoded: str) -> str:
    return encoded.split("$")[3]


def test_a_new_pin_is_kept_as_argon2id_at_owasps_minimum():
    patron = PatronFactory()
    CardFactory(patron=patron, number=NUMBER)
    pins.pin_change(patron=patron, new_pin="5827", actor=None)
    patron.refresh_from_db()
    assert patron.pin_hash.startswith("argon2pin$argon2id$")
    assert params(patron.pin_hash) == "m=19456,t=2,p=1"
    assert patron.check_pin("5827") and not patron.check_pin("5828")
    assert "5827" not in patron.pin_hash


def test_staff_passwords_keep_djangos_argon2():
    assert make_password("a long staff password").startswith("argon2$argon2id$")


def test_a_pin_hashed_the_old_way_works_and_is_rehashed_at_sign_in():
    patron = PatronFactory(pin_hash=make_password(DEFAULT_PIN))
    CardFactory(patron=patron, number=NUMBER)
    changed_at = patron.pin_changed_at
    entries = LogEntry.objects.count()
    assert pin_hash_outdated(patron.pin_hash)

    wrong = Client().post(reverse("portal:login"), {"card_number": NUMBER, "pin": "9999"})
    assert wrong.status_code == 200
    patron.refresh_from_db()
    assert patron.pin_hash.startswith("argon2$")  # a wrong PIN changes nothing

    right = Client().post(reverse("portal:login"), {"card_number": NUMBER, "pin": DEFAULT_PIN})
    assert right.status_code == 302
    patron.refresh_from_db()
    assert patron.pin_hash.startswith("argon2pin$") and not pin_hash_outdated(patron.pin_hash)
    assert patron.check_pin(DEFAULT_PIN)
    assert patron.pin_changed_at == changed_at
    assert not LogEntry.objects.filter(changes__has_key="pin_hash").exists()
    assert LogEntry.objects.count() - entries < 5  # the sign-in's own entries only

    again = Client().post(reverse("portal:login"), {"card_number": NUMBER, "pin": DEFAULT_PIN})
    assert again.status_code == 302


def test_a_terminal_secret_is_kept_with_the_pin_hasher_and_old_ones_still_work():
    branch = BranchFactory(code="main", name="Main")
    terminal = Terminal(name="Kiosk 1", login="kiosk1", branch=branch, may_patron=True)
    secret = sip2_services.terminal_save(terminal=terminal, actor=None)
    assert terminal.secret_hash.startswith("argon2pin$")
    assert sip2_selectors.terminal_authenticate(login="kiosk1", secret=secret) == terminal
    assert sip2_selectors.terminal_authenticate(login="kiosk1", secret=secret + "x") is None

    Terminal.objects.filter(pk=terminal.pk).update(secret_hash=make_password("older-secret"))
    assert sip2_selectors.terminal_authenticate(login="kiosk1", secret="older-secret") == terminal
