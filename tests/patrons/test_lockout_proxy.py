"""Sign-in lockout behind the documented TLS proxy and on a branch's shared network:
failures count per card and, with a higher limit, per client address as the trusted
proxy reports it; a forged X-Forwarded-For from elsewhere is not believed; patrons and
staff are counted apart."""

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests.factories import (
    DEFAULT_PIN,
    STAFF_PASSWORD,
    CardFactory,
    PatronFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def behind_proxy(settings):
    settings.CALUMET_TRUSTED_PROXIES = [PROXY]
    settings.CALUMET_LOCKOUT_ADDRESS_FAILURES = 12


def via_proxy(client_address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def bad_pins(client: Client, count: int, first_card: int = 0) -> None:
    for n in range(count):
        number = f"{29999900000000 + first_card + n:014d}"
        response = client.post(reverse("portal:login"), {"card_number": number, "pin": "9137"})
        assert response.status_code in (200, 429)


def staff_signs_in(client: Client) -> int:
    staff = StaffUserFactory()
    response = client.post(
        reverse("admin:login"),
        {"username": staff.username, "password": STAFF_PASSWORD, "next": "/admin/"},
    )
    return response.status_code


def test_failures_are_counted_against_the_forwarded_address_not_the_proxy():
    bad_pins(via_proxy("203.0.113.7"), 5)
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {"203.0.113.7"}


def test_five_bad_pins_from_one_address_do_not_stop_another_patron_or_staff():
    bad_pins(via_proxy("203.0.113.7"), 5)
    card = CardFactory(patron=PatronFactory())
    response = via_proxy("198.51.100.20").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 302
    # Even from the same address (a branch's public network): five is far below its limit.
    same_network = CardFactory(patron=PatronFactory())
    response = via_proxy("203.0.113.7").post(
        reverse("portal:login"), {"card_number": same_network.number, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 302
    assert staff_signs_in(via_proxy("203.0.113.7")) == 302


def test_an_address_guessing_pins_is_locked_but_other_addresses_and_staff_are_not():
    bad_pins(via_proxy("203.0.113.7"), 12)
    card = CardFactory(patron=PatronFactory())
    locked = via_proxy("203.0.113.7").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert locked.status_code == 429
    elsewhere = via_proxy("198.51.100.20").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert elsewhere.status_code == 302
    # The patrons' lockout of that address does not reach a staff sign-in from it.
    assert staff_signs_in(via_proxy("203.0.113.7")) == 302


def test_a_forged_header_from_an_untrusted_address_is_not_believed():
    forger = Client(REMOTE_ADDR="192.0.2.66", HTTP_X_FORWARDED_FOR="198.51.100.20")
    bad_pins(forger, 3)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.66"}


def test_five_failures_on_one_card_lock_that_card_from_every_address():
    card = CardFactory(patron=PatronFactory())
    for n in range(5):
        via_proxy(f"203.0.113.{n + 1}").post(
            reverse("portal:login"), {"card_number": card.number, "pin": "9137"}
        )
    response = via_proxy("198.51.100.20").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 429


def test_a_staff_member_guessing_passwords_does_not_lock_patrons_at_that_address(settings):
    staff = StaffUserFactory()
    client = via_proxy("203.0.113.7")
    for _ in range(12):
        client.post(reverse("admin:login"), {"username": staff.username, "password": "nope"})
    card = CardFactory(patron=PatronFactory())
    response = via_proxy("203.0.113.7").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 302


def test_addresses_of_one_ipv6_64_are_counted_as_one_address():
    """A machine that takes a new address of its /64 for every guess, on sequential cards,
    is locked as one address; another /64 is not, and the audit keeps the address."""
    for n in range(12):
        bad_pins(via_proxy(f"2001:db8:5:7::{n + 1:x}"), 1, first_card=n)
    card = CardFactory(patron=PatronFactory())
    locked = via_proxy("2001:db8:5:7:ffff::1").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert locked.status_code == 429
    elsewhere = via_proxy("2001:db8:5:8::1").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert elsewhere.status_code == 302
    # The audit log names the address the patron came from, not its network.
    entry = LogEntry.objects.filter(remote_addr__isnull=False).latest("timestamp")
    assert entry.remote_addr == "2001:db8:5:8::1"


def test_the_ipv6_prefix_is_a_setting(settings):
    settings.CALUMET_LOCKOUT_IPV6_PREFIX = 48  # a provider that hands out a /48
    for n in range(12):
        bad_pins(via_proxy(f"2001:db8:5:{n + 1:x}::1"), 1, first_card=n)
    card = CardFactory(patron=PatronFactory())
    response = via_proxy("2001:db8:5:ff::1").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 429
