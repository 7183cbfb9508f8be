"""Reading history is the patron's choice alone: staff cannot turn it on from the admin,
turn it off only at the patron's request (recorded), and the desk turns it on only when
the patron types their PIN. The patron's own pages say who turned it on and how."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation.models import Loan
from core.refusals import Refused
from patrons.models import Patron
from patrons.pin_attempts import card_key
from patrons.services import reading_history_set
from tests.circulation.conftest import CARD_NUMBER
from tests.factories import DEFAULT_PIN, LoanFactory, SuperuserFactory
from tests.helpers import database_refuses, portal_signed_in, signed_in

pytestmark = pytest.mark.django_db
DESK = "admin:circulation_reading_history"
WRONG_PIN = "9999" if DEFAULT_PIN != "9999" else "8888"


def _field_data(form, name) -> dict:
    value = form[name].value()
    field = form.fields[name]
    widget = getattr(field.widget, "widget", field.widget)  # inside a related wrapper
    key = form.add_prefix(name)
    if hasattr(widget, "widgets"):  # the admin's split date and time
        date, time = widget.decompress(value)
        return {
            f"{key}_0": date.isoformat() if date else "",
            f"{key}_1": time.strftime("%H:%M:%S") if time else "",
        }
    if isinstance(value, bool):
        return {key: "on"} if value else {}
    return {} if value is None else {key: str(value)}


def change_form_data(response) -> dict:
    """What the patron's change form posts back unchanged, inlines included."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data.update(_field_data(form, name))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)
        data[f"{formset.prefix}-INITIAL_FORMS"] = len(formset.initial_forms)
        for sub in formset.initial_forms:
            for name in sub.fields:
                data.update(_field_data(sub, name))
    return data


def desk_post(client, *, card=CARD_NUMBER, pin=DEFAULT_PIN, asked=True):
    data = {"action": "consent", "card_number": card, "pin": pin}
    if asked:
        data["asked"] = "on"
    response = client.post(reverse(DESK), data)
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- staff can never turn it on ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["librarian", "superuser"])
def test_staff_cannot_turn_reading_history_on_from_the_patron_page(who, librarian, patron):
    user = librarian if who == "librarian" else SuperuserFactory()
    client = signed_in(user)
    url = reverse("admin:patrons_patron_change", args=[patron.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="keep_reading_history"' not in page.content.decode()  # read-only
    data = change_form_data(page)
    data.update({"keep_reading_history": "on", "first_name": "Philippa-Jane", "_save": "Save"})
    response = client.post(url, data)
    assert response.status_code == 302, [
        (f.formset.prefix, f.formset.errors, f.formset.non_form_errors())
        for f in response.context["inline_admin_formsets"]
    ]
    patron.refresh_from_db()
    assert patron.first_name == "Philippa-Jane"  # the form was saved...
    assert not patron.keep_reading_history  # ...but not the reading history
    assert patron.reading_history_via == ""


def test_the_database_refuses_reading_history_on_without_the_patron(patron):
    with database_refuses():
        Patron.objects.filter(pk=patron.pk).update(keep_reading_history=True)
    with database_refuses():
        Patron.objects.filter(pk=patron.pk).update(
            keep_reading_history=True, reading_history_via="staff_request"
        )


def test_a_staff_member_cannot_use_the_portal_service_for_a_patron(librarian, patron):
    with pytest.raises(Refused):
        reading_history_set(patron=patron, keep=True, actor=librarian)
    patron.refresh_from_db()
    assert not patron.keep_reading_history


# -- staff turn it off at the patron's request -------------------------------------------------


def test_staff_turn_it_off_at_the_patrons_request_and_it_is_recorded(
    librarian, patron, branch, now
):
    reading_history_set(patron=patron, keep=True, actor=patron)
    day = datetime.timedelta(days=1)
    kept = LoanFactory(
        patron=patron, checked_out_at=now - 9 * day, due_at=now + day, returned_at=now - day
    )
    client = signed_in(librarian)
    session = client.session
    session["calumet_desk"] = {"branch_id": branch.pk, "branch_name": branch.name}
    session.save()
    changelist = reverse("admin:patrons_patron_changelist")
    action = {"action": "turn_off_reading_history", "_selected_action": [patron.pk]}

    confirm = client.post(changelist, action)
    assert confirm.status_code == 200
    assert "erases the loans kept in it" in confirm.content.decode()
    patron.refresh_from_db()
    assert patron.keep_reading_history  # nothing happens before the confirmation

    done = client.post(changelist, {**action, "confirm": "yes"})
    assert done.status_code == 302
    patron.refresh_from_db()
    assert not patron.keep_reading_history
    assert patron.reading_history_via == "staff_request"
    assert patron.reading_history_staff_role == "librarian"
    assert patron.reading_history_branch == branch
    assert patron.reading_history_changed_on == timezone.localdate()
    assert not Loan.objects.filter(pk=kept.pk).exists()  # the kept history is erased

    page = portal_signed_in(CARD_NUMBER).get(reverse("portal:privacy")).content.decode()
    assert f"Librarian at {branch.name} turned off your reading history" in page
    assert "at your request" in page


# -- on at the desk, with the patron's PIN -----------------------------------------------------


def test_the_desk_turns_it_on_when_the_patron_types_their_pin(clerk_client, patron, branch):
    messages = desk_post(clerk_client)
    assert any("Reading history is on" in m for m in messages), messages
    patron.refresh_from_db()
    assert patron.keep_reading_history
    assert patron.reading_history_via == "desk_pin"
    assert patron.reading_history_staff_role == "circulation"
    assert patron.reading_history_branch == branch
    assert CARD_NUMBER not in "".join(messages)

    client = portal_signed_in(CARD_NUMBER)
    day = timezone.localdate()
    story = f"You turned on reading history on {day.day} {day:%B %Y} at the {branch.name} desk"
    assert story in client.get(reverse("portal:privacy")).content.decode()
    assert "confirmed with your PIN" in client.get(reverse("portal:my_data")).content.decode()


def test_a_wrong_pin_is_refused_and_changes_nothing(clerk_client, patron):
    messages = desk_post(clerk_client, pin=WRONG_PIN)
    assert any("PIN was not accepted. Nothing was changed" in m for m in messages), messages
    patron.refresh_from_db()
    assert not patron.keep_reading_history and patron.reading_history_via == ""
    assert AccessAttempt.objects.filter(username=card_key(CARD_NUMBER)).exists()
    assert not AccessAttempt.objects.filter(ip_address__isnull=False).exists()  # not the desk's


def test_wrong_pins_lock_the_card_at_the_desk_and_in_the_portal(clerk_client, patron, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        desk_post(clerk_client, pin=WRONG_PIN)
    messages = desk_post(clerk_client)  # even the right PIN, now
    assert any("Too many wrong PINs" in m for m in messages), messages
    patron.refresh_from_db()
    assert not patron.keep_reading_history
    # The same card is locked in the portal too; the desk's address is not.
    response = Client().post(
        reverse("portal:login"), {"card_number": CARD_NUMBER, "pin": DEFAULT_PIN}
    )
    assert response.status_code == 429


def test_the_desk_needs_the_patrons_request_and_a_pin(clerk_client, patron):
    assert any("Tick that the patron asked" in m for m in desk_post(clerk_client, asked=False))
    assert any("types their PIN" in m for m in desk_post(clerk_client, pin=""))
    assert any("No library card" in m for m in desk_post(clerk_client, card="21234000009999"))
    patron.refresh_from_db()
    assert not patron.keep_reading_history


def test_the_desk_page_is_for_desk_staff(roleless, clerk_client):
    assert clerk_client.get(reverse(DESK)).status_code == 200
    assert signed_in(roleless).get(reverse(DESK)).status_code == 403


# -- the portal says who and how ---------------------------------------------------------------


def test_the_portal_says_the_patron_turned_it_on_in_the_portal(patron):
    client = portal_signed_in(CARD_NUMBER)
    client.post(reverse("portal:privacy"), {"keep": "on"})
    patron.refresh_from_db()
    assert patron.reading_history_via == "portal" and patron.keep_reading_history
    day = timezone.localdate()
    page = client.get(reverse("portal:privacy")).content.decode()
    assert f"You turned on reading history on {day.day} {day:%B %Y} in the portal." in page


def test_a_history_from_before_the_records_says_so(patron):
    Patron.objects.filter(pk=patron.pk).update(
        keep_reading_history=True, reading_history_via="unrecorded"
    )
    page = portal_signed_in(CARD_NUMBER).get(reverse("portal:privacy")).content.decode()
    assert "before the library recorded who turned it on" in page
