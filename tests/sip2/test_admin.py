"""Terminal accounts in the admin: the library administrator's, with a generated secret
shown once and kept only as a hash; the events are read-only."""

import pytest
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from sip2.checks import sip2_settings
from sip2.models import SortBin, Terminal, TerminalEvent
from staff import roles
from tests.factories import BranchFactory, StaffUserFactory
from tests.sip2.conftest import make_terminal

pytestmark = pytest.mark.django_db


def signed_in(group: str) -> Client:
    user = StaffUserFactory(username=group.lower().replace(" ", "-"))
    user.groups.set(Group.objects.filter(name=group))
    client = Client()
    client.force_login(user)
    return client


def test_administrator_adds_a_kiosk_and_sees_the_secret_once(branch):
    client = signed_in(roles.LIBRARY_ADMINISTRATOR)
    response = client.post(
        "/admin/sip2/terminal/add/",
        {
            "name": "Self-check kiosk 2",
            "login": "kiosk2",
            "branch": branch.pk,
            "allowed": ["may_patron", "may_circulate"],
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret in response.content.decode()
    terminal = Terminal.objects.get()
    assert terminal.may_circulate and terminal.may_patron and not terminal.may_pay
    assert secret not in terminal.secret_hash
    assert check_password(secret, terminal.secret_hash)
    # The change page never shows it again.
    page = client.get(f"/admin/sip2/terminal/{terminal.pk}/change/").content.decode()
    assert secret not in page


def test_a_new_secret_on_request_replaces_the_old(kiosk):
    terminal, old = kiosk
    client = signed_in(roles.LIBRARY_ADMINISTRATOR)
    response = client.post(
        f"/admin/sip2/terminal/{terminal.pk}/change/",
        {
            "name": terminal.name,
            "login": terminal.login,
            "branch": terminal.branch_id,
            "allowed": ["may_patron"],
            "enabled": "on",
            "new_secret": "on",
        },
    )
    new = response.context["secret"]
    terminal.refresh_from_db()
    assert check_password(new, terminal.secret_hash)
    assert not check_password(old, terminal.secret_hash)
    assert not terminal.may_circulate


@pytest.mark.parametrize("group", [roles.LIBRARIAN, roles.CIRCULATION_STAFF])
def test_other_roles_cannot_open_terminal_accounts(group, kiosk):
    client = signed_in(group)
    assert client.get("/admin/sip2/terminal/").status_code == 403
    assert client.get("/admin/sip2/terminalevent/").status_code == 403


def test_events_are_read_only(kiosk):
    TerminalEvent.objects.create(terminal=kiosk[0], kind="login")
    client = signed_in(roles.LIBRARY_ADMINISTRATOR)
    assert client.get("/admin/sip2/terminalevent/").status_code == 200
    assert client.get("/admin/sip2/terminalevent/add/").status_code == 403


def test_plain_tcp_on_a_network_address_is_refused(settings):
    settings.CALUMET_SIP2_CERT = settings.CALUMET_SIP2_KEY = ""
    settings.CALUMET_SIP2_ALLOW_PLAIN = False
    with pytest.raises(CommandError, match="loopback"):
        call_command("sip2server", host="0.0.0.0", port=0)  # noqa: S104


def test_an_unreadable_certificate_is_refused(settings, tmp_path):
    settings.CALUMET_SIP2_CERT = str(tmp_path / "missing.pem")
    settings.CALUMET_SIP2_KEY = str(tmp_path / "missing.key")
    with pytest.raises(CommandError, match="certificate"):
        call_command("sip2server", port=0)


def test_settings_check(settings):
    assert sip2_settings() == []
    settings.CALUMET_SIP2_PATRON_NAME = "nickname"
    assert [e.id for e in sip2_settings()] == ["sip2.E001"]


def test_the_terminal_list_says_everything_each_may_send(kiosk, sorter, branch):
    make_terminal(branch, "Payment kiosk", "paykiosk", may_patron=True, may_pay=True)
    make_terminal(branch, "Spare kiosk", "spare")
    page = signed_in(roles.LIBRARY_ADMINISTRATOR).get("/admin/sip2/terminal/")
    assert page.context["cl"].result_count == 4
    text = page.content.decode()
    assert '<td class="field-allowed_messages">patron information, circulation</td>' in text
    assert '<td class="field-allowed_messages">check-in only</td>' in text
    assert '<td class="field-allowed_messages">patron information, fee paid</td>' in text
    assert '<td class="field-allowed_messages">—</td>' in text


def test_administrator_maps_sort_bins_one_per_case(branch):
    """Sort bins are the library administrator's to edit; the service and the database
    constraints refuse a second bin for the same copies, and a destination for copies
    that stay."""
    client = signed_in(roles.LIBRARY_ADMINISTRATOR)
    east = BranchFactory(code="east", name="East Side")
    url = "/admin/sip2/sortbin/add/"
    data = {"branch": branch.pk, "route": "transit", "destination": east.pk, "bin": "4"}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 200
    assert "There is already a bin for these copies at this branch." in again.content.decode()
    shelve = client.post(url, {**data, "route": "shelve", "bin": "5"})
    assert "Only copies sent to another branch have a destination." in shelve.content.decode()
    assert list(SortBin.objects.values_list("bin", flat=True)) == ["4"]
    sort_bin = SortBin.objects.get()
    client.post(f"/admin/sip2/sortbin/{sort_bin.pk}/delete/", {"post": "yes"})
    assert not SortBin.objects.exists()


def test_circulation_staff_cannot_edit_sort_bins(branch):
    client = signed_in(roles.CIRCULATION_STAFF)
    assert client.get("/admin/sip2/sortbin/add/").status_code == 403
