"""An admin action posted with a malformed row id or form number is the sender's mistake:
a 400 that changes nothing, on every changelist, never a 500."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from patrons.models import Patron
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


def _changelists_and_actions(user):
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        request = RequestFactory().get(url)
        request.user = user
        for name in model_admin.get_actions(request):
            yield model, url, name


def test_a_malformed_selected_row_is_a_400_on_every_changelist(superuser):
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    answers = {}
    for model, url, action in _changelists_and_actions(superuser):
        if model._meta.pk.get_internal_type() in {"CharField", "TextField"}:
            continue  # any text is a well-formed key there
        response = client.post(url, {"action": action, "_selected_action": "abc", "index": "0"})
        answers[(url, action)] = response.status_code
    assert ("/admin/circulation/loan/", "renew_selected") in answers
    assert ("/admin/patrons/patronblock/", "lift_blocks") in answers
    assert {key: status for key, status in answers.items() if status != 400} == {}


def test_a_malformed_form_number_is_a_400_and_a_well_formed_action_still_runs(superuser):
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    url = reverse("admin:patrons_patron_changelist")
    patron = PatronFactory()
    expires = patron.card_expires_on
    action = {"action": "renew_registration", "_selected_action": str(patron.pk)}
    assert client.post(url, {**action, "index": "x"}).status_code == 400
    assert Patron.objects.get(pk=patron.pk).card_expires_on == expires
    assert client.post(url, {**action, "index": "0"}).status_code == 302
    assert Patron.objects.get(pk=patron.pk).card_expires_on != expires
