"""Every portal POST endpoint, every field, hostile values: a message or a refusal, never a
500, and nothing changes. The list of endpoints is checked against the URL configuration,
so a new portal form that is not swept here fails this test."""

import pytest
from axes.utils import reset
from django.test import Client
from django.urls import get_resolver, reverse

from circulation.models import Fine, Hold, Loan, ProgramRegistration
from patrons.models import Card, Patron
from tests.factories import (
    DEFAULT_PIN,
    CardFactory,
    HoldFactory,
    LoanFactory,
    PatronFactory,
    ProgramFactory,
    ProgramRegistrationFactory,
    TitleFactory,
)
from tests.helpers import portal_signed_in

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    "   ",
    "x" * 5000,
    "Łódź ☃ 漢字 🙂 \u202e",
    "abc",
    "-1",
    "-99999999999999999999",
    "9" * 30,
    "1.5",
    "0x10",
    "1e3",
    ["abc", "-7"],
]

# name -> (url kwargs, fields). `None` fields: signs the patron in or out (swept apart).
ENDPOINTS = {
    "login": ({}, ["card_number", "pin", "next"]),
    "logout": ({}, None),
    "privacy": ({}, ["keep", "confirm"]),
    "pin": ({}, ["current_pin", "new_pin", "new_pin2"]),
    "lost_card": ({}, ["confirm"]),
    "renew": ({}, ["loan"]),
    "renew_all": ({}, []),
    "hold_cancel": ({}, ["hold"]),
    "hold_place": ({}, ["title", "pickup_branch"]),
    "program_signup": ({}, ["program"]),
    "program_cancel": ({}, ["registration"]),
    "history_delete": ({}, ["loan"]),
    "pin_reset": ({}, ["card_number", "email"]),
    "pin_reset_new": ({}, ["card_number", "new_pin", "new_pin2"]),
    "signup": ({}, ["first_name", "last_name", "email", "birth_date", "postal_code", "website"]),
    "signup_confirm": ({"token": "not-a-signed-token"}, []),
    "notices": ({}, ["courtesy", "card_expiry"]),
    "hold_suspend": ({}, ["hold", "until"]),
}
GET_ONLY_WITH_ARGUMENTS = {"title": {"title_id": 1}, "pin_reset_link": {"token": "1-abc"}}
EXTRA_ENDPOINTS: dict = {}  # filled in by the modules that add portal forms


def portal_names() -> set[str]:
    resolver = get_resolver()
    _namespace, sub = resolver.namespace_dict["portal"]
    return {name for name in sub.reverse_dict if isinstance(name, str)}


@pytest.fixture
def world():
    patron = PatronFactory(keep_reading_history=True)
    card = CardFactory(patron=patron)
    LoanFactory(patron=patron)
    HoldFactory(patron=patron)
    ProgramRegistrationFactory(patron=patron, program=ProgramFactory())
    LoanFactory(patron=patron, returned_at=patron.registered_at)
    return card, TitleFactory()


def snapshot():
    return (
        list(Loan.objects.values_list("pk", "due_at", "returned_at", "renewals").order_by("pk")),
        list(Hold.objects.values_list("pk", "status").order_by("pk")),
        list(ProgramRegistration.objects.values_list("pk", "status").order_by("pk")),
        Fine.objects.count(),
        list(Card.objects.values_list("pk", "status").order_by("pk")),
        list(Patron.objects.values_list("pk", "pin_hash", "keep_reading_history").order_by("pk")),
    )


def url_for(name, kwargs, title):
    return reverse(
        f"portal:{name}", kwargs={k: title.pk if v == "TITLE" else v for k, v in kwargs.items()}
    )


def test_every_portal_url_that_takes_a_post_is_swept(world):
    card, _title = world
    client = portal_signed_in(card)
    endpoints = {**ENDPOINTS, **EXTRA_ENDPOINTS}
    for name in portal_names() - set(endpoints):
        kwargs = GET_ONLY_WITH_ARGUMENTS.get(name, {})
        try:
            url = reverse(f"portal:{name}", kwargs=kwargs)
        except Exception:  # a URL with arguments this test does not know: add it above
            pytest.fail(f"portal:{name} is neither swept nor known to refuse POST")
        assert client.post(url, {"x": "1"}).status_code == 405, name


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_in_every_portal_field_change_nothing(world, value):
    card, title = world
    before = snapshot()
    client = portal_signed_in(card)
    for name, (kwargs, fields) in {**ENDPOINTS, **EXTRA_ENDPOINTS}.items():
        if fields is None:
            continue
        url = url_for(name, kwargs, title)
        for field in fields or ["unexpected"]:
            if name == "renew_all":
                continue  # takes no fields: renewing is its whole job
            together = ("pin", "privacy", "pin_reset", "pin_reset_new")
            data = {f: value for f in fields} if name in together else {field: value}
            client_for = Client() if name in ("login", "pin_reset", "pin_reset_new") else client
            response = client_for.post(url, data)
            assert response.status_code in (200, 302, 400, 404, 429), (name, field, response)
        reset()
    assert snapshot() == before
    # Still signed in: no hostile value signed the patron out or reported the card.
    assert client.get(reverse("portal:account")).status_code == 200


def test_a_non_numeric_pickup_branch_is_a_message_not_a_500(world):
    card, title = world
    client = portal_signed_in(card)
    response = client.post(
        reverse("portal:hold_place"), {"title": title.pk, "pickup_branch": "main"}, follow=True
    )
    assert response.status_code == 200
    assert b"Choose where you will pick it up." in response.content


def test_csrf_token_and_session_key_rotate_at_sign_in_and_sign_out(world):
    card, _ = world
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("portal:login"))
    token, key = client.cookies["csrftoken"].value, client.session.session_key
    response = client.post(
        reverse("portal:login"),
        {"card_number": card.number, "pin": DEFAULT_PIN, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    signed_token = client.cookies["csrftoken"].value
    assert signed_token != token
    assert client.session.session_key != key
    signed_key = client.session.session_key
    response = client.post(reverse("portal:logout"), {"csrfmiddlewaretoken": signed_token})
    assert response.status_code == 302
    assert client.cookies["csrftoken"].value not in (token, signed_token)
    assert client.session.session_key != signed_key
