"""Online sign-up: apply from home, confirm by email, collect the card at a desk.

The application holds only the fields the library asks for; it is confirmed through a
signed link that never carries the email address; bad input, a repeated application and a
flood from one address each get a clear answer and write nothing; the desk turns it into a
patron (with the desk's duplicate check) and a temporary PIN slip; never collected, the
expunge deletes it after its retention."""

import datetime
import re
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Task
from django_q.tasks import async_task as run

from core.refusals import Refused
from patrons.models import Patron, SignUp
from patrons.signup import signup_collect
from privacy import retention
from privacy.registry import registry
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "birth_date": "1990-04-23",
    "address_line1": "12 Analytical Row",
    "city": "Calumet",
    "postal_code": "49913",
}


def apply(data=None, address="198.51.100.5", client=None, **headers):
    client = client or Client(REMOTE_ADDR=address, **headers)
    return client.post(reverse("portal:signup"), {**GOOD, **(data or {})})


def link_in(message) -> str:
    return re.search(r"https?://\S+/portal/sign-up/confirm/\S+/", message.body).group(0)


def test_an_application_is_confirmed_by_a_signed_link_that_does_not_carry_the_email():
    answer = apply()
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:signup_sent")
    signup = SignUp.objects.get()
    assert signup.confirmed_at is None and signup.reference
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.org"]
    link = link_in(mail.outbox[0])
    assert "ada" not in link.lower() and "example" not in link
    assert signup.reference in mail.outbox[0].body
    path = link.split("testserver", 1)[1]
    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and b"Confirm my email address" in page.content
    SignUp.objects.get(confirmed_at__isnull=True)  # a GET (a mail scanner) confirms nothing
    done = client.post(path)
    assert done.status_code == 200 and signup.reference.encode() in done.content
    assert SignUp.objects.get().confirmed_at is not None


def test_a_tampered_or_expired_link_is_refused(settings):
    apply()
    link = link_in(mail.outbox[0]).split("testserver", 1)[1]
    tampered = link.replace("/confirm/", "/confirm/x")
    assert Client().post(tampered).status_code == 400
    settings.CALUMET_SIGNUP_CONFIRM_HOURS = 0
    answer = Client().post(link)
    assert answer.status_code == 400 and b"expired" in answer.content
    assert SignUp.objects.get().confirmed_at is None


def test_the_form_asks_only_for_the_fields_the_settings_list(settings):
    settings.CALUMET_SIGNUP_FIELDS = ["postal_code"]
    settings.CALUMET_SIGNUP_REQUIRED = ["postal_code"]
    page = Client().get(reverse("portal:signup"))
    assert b'name="postal_code"' in page.content
    assert b'name="birth_date"' not in page.content and b'name="phone"' not in page.content
    apply({"birth_date": "1990-04-23", "phone": "555"})
    signup = SignUp.objects.get()
    assert signup.birth_date is None and signup.phone == "" and signup.address_line1 == ""


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("email", "ada-at-example", b"Enter a valid email address"),
        ("birth_date", "23/23/1990", b"Enter a valid date"),
        ("birth_date", "2999-01-01", b"cannot be in the future"),
        ("first_name", "", b"This field is required"),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(field, value, words):
    answer = apply({field: value})
    assert answer.status_code == 400 and words in answer.content
    assert not SignUp.objects.exists() and mail.outbox == []


def test_a_repeated_application_creates_nothing_and_reminds_the_applicant():
    apply()
    again = apply({"first_name": "Ada B."}, address="198.51.100.6")
    assert again.status_code == 302  # the same answer: nothing told about who applied
    assert SignUp.objects.count() == 1 and SignUp.objects.get().first_name == "Ada"
    assert len(mail.outbox) == 2
    assert "already applied" in mail.outbox[1].body and link_in(mail.outbox[1])


def test_the_email_is_sent_by_the_worker_for_a_new_and_a_repeated_address_alike():
    with mock.patch("django_q.tasks.async_task") as async_task:
        new = apply()
        repeated = apply({"first_name": "Ada B."}, address="198.51.100.6")
    assert new.status_code == repeated.status_code == 302
    assert new["Location"] == repeated["Location"]
    assert mail.outbox == []  # nothing sent inside the request
    assert async_task.call_count == 2  # one task each time: the same work either way
    for call in async_task.call_args_list:
        queued = repr((call.args, call.kwargs))
        assert "@example.org" not in queued and "Ada" not in queued
    for call in async_task.call_args_list:
        run(*call.args, **call.kwargs)  # the test settings run tasks at once
    assert [m.to for m in mail.outbox] == [["ada@example.org"]] * 2
    assert "Thank you for applying" in mail.outbox[0].body
    assert "already applied" in mail.outbox[1].body
    stored = repr(list(Task.objects.values_list("args", "kwargs", "result")))
    assert Task.objects.count() == 2 and "@example.org" not in stored


def test_an_application_erased_before_the_worker_runs_gets_no_email():
    with mock.patch("django_q.tasks.async_task") as async_task:
        apply()
    SignUp.objects.all().delete()
    run(*async_task.call_args.args, **async_task.call_args.kwargs)
    assert mail.outbox == []


def test_a_flood_from_one_address_is_refused_without_writing(settings):
    settings.CALUMET_SIGNUP_ADDRESS_LIMIT = 3
    answers = [apply({"email": f"bot{n}@example.org"}, address="203.0.113.9") for n in range(6)]
    assert [a.status_code for a in answers] == [302] * 3 + [429] * 3
    assert b"Too many applications" in answers[-1].content
    assert SignUp.objects.count() == 3 and len(mail.outbox) == 3
    assert apply({"email": "real@example.org"}, address="203.0.113.10").status_code == 302


def test_the_honeypot_field_is_answered_as_success_and_creates_nothing():
    answer = apply({"website": "http://spam.example"})
    assert answer.status_code == 302
    assert not SignUp.objects.exists() and mail.outbox == []


def test_the_application_is_in_spanish_from_the_spanish_portal():
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="es")
    page = client.get(reverse("portal:signup"))
    assert b"Solicitar" in page.content
    apply(client=client)
    assert SignUp.objects.get().language == "es"
    assert "Gracias" in mail.outbox[0].body


def _confirmed(**extra) -> SignUp:
    apply(extra)
    signup = SignUp.objects.get(email=extra.get("email", GOOD["email"]))
    signup.confirmed_at = timezone.now()
    signup.save()
    return signup


def test_the_desk_collects_a_confirmed_application_into_a_patron_with_a_pin_slip(clerk_client):
    signup = _confirmed()
    listing = clerk_client.get(
        reverse("admin:patrons_signup_changelist") + "?q=" + signup.reference
    )
    assert listing.status_code == 200 and b"Check ID and issue the card" in listing.content
    url = reverse("admin:patrons_patron_add") + f"?signup={signup.pk}"
    form = clerk_client.get(url)
    assert b"Lovelace" in form.content and signup.reference.encode() in form.content
    slip = clerk_client.post(
        url,
        {
            **GOOD,
            "signup": signup.pk,
            "category": "adult",
            "issue_pin": "on",
        },
    )
    assert slip.status_code == 200 and b"Temporary PIN" in slip.content
    patron = Patron.objects.get()
    assert patron.last_name == "Lovelace" and patron.active_card and patron.pin_must_change
    assert not SignUp.objects.exists()


def test_the_desk_duplicate_check_applies_and_nothing_is_half_written(clerk_client):
    PatronFactory(first_name="Ada", last_name="Lovelace", birth_date=datetime.date(1990, 4, 23))
    signup = _confirmed()
    url = reverse("admin:patrons_patron_add") + f"?signup={signup.pk}"
    answer = clerk_client.post(url, {**GOOD, "signup": signup.pk, "category": "adult"})
    assert answer.status_code == 200 and b"Already registered" in answer.content
    assert Patron.objects.count() == 1 and SignUp.objects.filter(pk=signup.pk).exists()


def test_an_unconfirmed_application_is_not_collected(clerk):
    apply()
    signup = SignUp.objects.get()
    with pytest.raises(Refused, match="not confirmed"):
        signup_collect(
            signup=signup, actor=clerk, first_name="Ada", last_name="Lovelace", category_id="adult"
        )
    assert not Patron.objects.exists()


def test_the_expunge_removes_an_application_never_collected_after_its_retention():
    kind = registry.get("signup")
    assert kind.rule.default_days == 30 and not kind.reaches_patron
    apply()
    apply({"email": "late@example.org"}, address="198.51.100.8")
    old = SignUp.objects.get(email="ada@example.org")
    SignUp.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    result = retention.expunge()
    assert result.counts["signup"]["expunged"] == 1
    assert list(SignUp.objects.values_list("email", flat=True)) == ["late@example.org"]
    assert not LogEntry.objects.filter(content_type__model="signup", object_pk=str(old.pk)).exists()


def test_the_database_holds_one_application_per_email_whatever_its_case():
    apply()
    with pytest.raises(IntegrityError), transaction.atomic():
        SignUp.objects.create(
            first_name="Eve", last_name="X", email="ADA@EXAMPLE.ORG", reference="SAMEMAIL"
        )
    assert SignUp.objects.count() == 1
