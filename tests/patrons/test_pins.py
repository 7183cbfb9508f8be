"""PINs: a temporary PIN issued by staff on a slip, changed at the first sign-in; the
reset by an emailed link (single use, time-limited, no answer saying whether a card or an
email exists); weak PINs refused; every change audited without the PIN."""

import datetime
import re

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.test import Client
from django.urls import reverse

from patrons import pins
from tests.factories import DEFAULT_PIN, CardFactory, PatronFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    return CardFactory(
        number="21234777700013", patron=PatronFactory(email="ada@example.org", first_name="Ada")
    )


def sign_in(client, number, pin):
    return client.post(reverse("portal:login"), {"card_number": number, "pin": pin})


def pin_entries(patron):
    return LogEntry.objects.filter(
        object_pk=str(patron.pk), additional_data__event__startswith="pin-"
    )


def test_staff_issue_a_temporary_pin_which_the_patron_must_change(superuser_client, card):
    url = reverse("admin:patrons_patron_temporary_pin", args=[card.patron.pk])
    assert b"Issue a temporary PIN" in superuser_client.get(url).content
    slip = superuser_client.post(url).content.decode()
    pin = re.search(r'id="slip-pin">(\d+)<', slip).group(1)
    assert card.number in slip and "no-store" in superuser_client.post(url)["Cache-Control"]
    pin = re.search(  # the second POST issued another; the first no longer works
        r'id="slip-pin">(\d+)<', superuser_client.post(url).content.decode()
    ).group(1)
    patron = Client()
    response = sign_in(patron, card.number, pin)
    assert response["Location"] == reverse("portal:pin")
    blocked = patron.get(reverse("portal:account"))
    assert blocked.status_code == 302 and blocked["Location"] == reverse("portal:pin")
    weak = patron.post(
        reverse("portal:pin"), {"current_pin": pin, "new_pin": "0000", "new_pin2": "0000"}
    )
    assert b"one digit repeated" in weak.content
    done = patron.post(
        reverse("portal:pin"), {"current_pin": pin, "new_pin": "7391", "new_pin2": "7391"}
    )
    assert done["Location"] == reverse("portal:account")
    assert patron.get(reverse("portal:account")).status_code == 200
    events = list(pin_entries(card.patron).values_list("additional_data__event", flat=True))
    assert events.count("pin-issued") == 3 and events.count("pin-changed") == 1
    text = " ".join(str(e.changes) + e.changes_text for e in pin_entries(card.patron))
    assert pin not in text and "7391" not in text and "pin" in text


@pytest.mark.parametrize(
    "weak,why",
    [
        ("0000", "repeated"),
        ("1234", "run of digits"),
        ("9876", "run of digits"),
        ("1212", "pattern"),
        ("0013", "last digits"),
        ("12a4", "digits"),
    ],
)
def test_weak_pins_are_refused_with_a_reason(card, weak, why):
    client = Client()
    sign_in(client, card.number, DEFAULT_PIN)
    response = client.post(
        reverse("portal:pin"), {"current_pin": DEFAULT_PIN, "new_pin": weak, "new_pin2": weak}
    )
    assert response.status_code == 200 and why.encode() in response.content
    card.patron.refresh_from_db()
    assert card.patron.check_pin(DEFAULT_PIN)


def ask_for_link(number, email):
    return Client().post(
        reverse("portal:pin_reset"), {"card_number": number, "email": email}, follow=True
    )


def test_the_reset_request_says_the_same_whatever_matches(card):
    answers = []
    for number, email in [
        (card.number, "someone@example.org"),
        ("29999999999999", "ada@example.org"),
        (card.number, "ADA@example.org"),
    ]:
        response = ask_for_link(number, email)
        answers.append(response.content.split(b'name="csrfmiddlewaretoken"')[0])
        assert number.encode() not in response.content
    assert len(set(answers)) == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.org"]
    assert card.number not in mail.outbox[0].body


def link_in_mail() -> str:
    return re.search(r"http://testserver(/portal/pin/reset/\S+/)", mail.outbox[-1].body).group(1)


def reset_with(client, link, number, pin):
    client.get(link)
    return client.post(
        reverse("portal:pin_reset_new"),
        {"card_number": number, "new_pin": pin, "new_pin2": pin},
    )


def test_the_link_resets_the_pin_once(card):
    ask_for_link(card.number, "ada@example.org")
    link = link_in_mail()
    wrong_card = reset_with(Client(), link, "21234777700021", "7391")
    assert b"Ask for a new link" in wrong_card.content
    response = reset_with(Client(), link, card.number, "7391")
    assert response["Location"] == reverse("portal:login")
    assert sign_in(Client(), card.number, "7391").status_code == 302
    again = reset_with(Client(), link, card.number, "8462")
    assert b"Ask for a new link" in again.content
    card.patron.refresh_from_db()
    assert card.patron.check_pin("7391")
    assert pin_entries(card.patron).filter(additional_data__event="pin-reset").count() == 1


def test_the_link_expires(card, monkeypatch, settings):
    settings.CALUMET_PIN_RESET_MINUTES = 30
    ask_for_link(card.number, "ada@example.org")
    link = link_in_mail()
    later = datetime.datetime.now() + datetime.timedelta(minutes=31)
    monkeypatch.setattr(pins.tokens, "_now", lambda: later)
    response = reset_with(Client(), link, card.number, "7391")
    assert b"Ask for a new link" in response.content
    card.patron.refresh_from_db()
    assert card.patron.check_pin(DEFAULT_PIN)


def test_a_pin_changed_otherwise_invalidates_the_link(card):
    ask_for_link(card.number, "ada@example.org")
    link = link_in_mail()
    pins.pin_change(patron=card.patron, new_pin="5820", actor=card.patron)
    response = reset_with(Client(), link, card.number, "7391")
    assert b"Ask for a new link" in response.content
