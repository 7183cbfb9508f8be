"""The "Forgot your PIN?" form cannot flood a patron with emails, nor tell by the time of
its answer whether a card and an email match: requests are limited per card and per
client address (an IPv6 client as its /64) and count towards the address's lockout; the
email is sent by the worker, from a task that carries no patron data."""

from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_q.models import Task
from django_q.tasks import async_task as run

from tests.factories import DEFAULT_PIN, CardFactory, PatronFactory

pytestmark = pytest.mark.django_db
TOO_MANY = b"Too many requests for a new PIN"


@pytest.fixture
def card():
    return CardFactory(number="21234777700013", patron=PatronFactory(email="ada@example.org"))


def ask(address: str, number: str, email: str):
    return Client(REMOTE_ADDR=address).post(
        reverse("portal:pin_reset"), {"card_number": number, "email": email}
    )


def test_twenty_one_requests_for_one_card_send_three_emails(card):
    answers = [ask(f"198.51.100.{n + 1}", card.number, "ada@example.org") for n in range(21)]
    assert len(mail.outbox) == 3
    assert [a.status_code for a in answers] == [302] * 3 + [429] * 18
    refused = answers[-1].content
    assert TOO_MANY in refused and card.number.encode() not in refused
    # Another patron is not held back by it.
    other = CardFactory(patron=PatronFactory(email="grace@example.org"))
    assert ask("198.51.100.99", other.number, "grace@example.org").status_code == 302
    assert mail.outbox[-1].to == ["grace@example.org"]


def test_one_address_asking_for_many_cards_is_refused_and_the_answer_does_not_say_which(
    card, settings
):
    settings.CALUMET_PIN_RESET_ADDRESS_LIMIT = 10
    for n in range(10):
        assert ask("203.0.113.7", f"{21234999900000 + n:014d}", "x@example.org").status_code == 302
    matching = ask("203.0.113.7", card.number, "ada@example.org")
    not_matching = ask("203.0.113.7", card.number, "eve@example.org")
    assert matching.status_code == not_matching.status_code == 429
    strip = lambda r: r.content.split(b'name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert strip(matching) == strip(not_matching)
    assert mail.outbox == []
    assert ask("203.0.113.8", card.number, "ada@example.org").status_code == 302
    assert len(mail.outbox) == 1


def test_addresses_of_one_ipv6_64_count_as_one_for_resets(card, settings):
    settings.CALUMET_PIN_RESET_ADDRESS_LIMIT = 10
    for n in range(10):
        ask(f"2001:db8:5:7::{n + 1:x}", f"{21234999900000 + n:014d}", "x@example.org")
    assert ask("2001:db8:5:7::ff", card.number, "ada@example.org").status_code == 429
    assert ask("2001:db8:5:8::1", card.number, "ada@example.org").status_code == 302


def test_reset_requests_count_towards_the_address_lockout_of_sign_ins(card, settings):
    settings.CALUMET_LOCKOUT_ADDRESS_FAILURES = 6
    for n in range(6):
        ask("203.0.113.7", f"{21234999900000 + n:014d}", "x@example.org")
    response = Client(REMOTE_ADDR="203.0.113.7").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 429
    elsewhere = Client(REMOTE_ADDR="203.0.113.8").post(
        reverse("portal:login"), {"card_number": card.number, "pin": DEFAULT_PIN}
    )
    assert elsewhere.status_code == 302


def test_the_email_is_sent_by_the_worker_whatever_matched_with_no_patron_data_queued(card):
    with mock.patch("django_q.tasks.async_task") as async_task:
        matching = ask("198.51.100.1", card.number, "ada@example.org")
        not_matching = ask("198.51.100.2", card.number, "eve@example.org")
        unknown = ask("198.51.100.3", "29999999999999", "ada@example.org")
    assert matching.status_code == not_matching.status_code == unknown.status_code == 302
    assert mail.outbox == []  # nothing sent inside the request
    assert async_task.call_count == 3  # one task each time: the same work whatever matched
    for call in async_task.call_args_list:
        queued = repr((call.args, call.kwargs))
        assert card.number not in queued and "@example.org" not in queued
        assert "Ada" not in queued
    # The worker sends the one that matched, to the address on the account.

    for call in async_task.call_args_list:
        run(*call.args, **call.kwargs)  # the test settings run tasks at once
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.org"]
    # What django-q2 stored of those tasks names no card and no email either.

    stored = repr(list(Task.objects.values_list("args", "kwargs", "result")))
    assert Task.objects.count() == 3
    assert card.number not in stored and "@example.org" not in stored
