"""Staff roles: the groups hold exactly the permissions of
`staff.roles.roles()`, and the admin lets each role do its work and nothing more."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from circulation.models import Fine
from privacy.models import RetentionPolicy
from staff import roles
from tests.factories import CardFactory, FineFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.fixture
def fine():
    card = CardFactory(number="21234567890001")
    return FineFactory(patron=card.patron, amount=Decimal("3.00"))


@pytest.fixture
def policy():
    return RetentionPolicy.objects.get(kind="loan")


def policy_url(policy) -> str:
    return reverse("admin:privacy_retentionpolicy_change", args=[policy.pk])


# -- the groups -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(roles.roles()))
def test_each_group_holds_exactly_the_permissions_of_its_role(name):
    assert group_permissions(name) == set(roles.roles()[name])


def test_every_permission_named_in_the_roles_exists_and_a_strict_sync_keeps_them():
    roles.sync_roles(strict=True)
    for name, wanted in roles.roles().items():
        assert group_permissions(name) == set(wanted)


def test_sync_roles_puts_back_a_permission_granted_by_hand():
    clerks = Group.objects.get(name=roles.CIRCULATION_STAFF)
    clerks.permissions.add(Permission.objects.get(codename="waive_fine"))
    roles.sync_roles(strict=True)
    assert "circulation.waive_fine" not in group_permissions(roles.CIRCULATION_STAFF)


def test_the_roles_grow_from_clerk_to_administrator():
    clerk = set(roles.roles()[roles.CIRCULATION_STAFF])
    librarian = set(roles.roles()[roles.LIBRARIAN])
    administrator = set(roles.roles()[roles.LIBRARY_ADMINISTRATOR])
    assert clerk < librarian < administrator
    assert "circulation.waive_fine" in librarian - clerk
    assert "privacy.change_retentionpolicy" in administrator - librarian
    assert "auditlog.view_logentry" in administrator - librarian
    assert not any(
        p.startswith("auditlog.") and p != "auditlog.view_logentry" for p in administrator
    )


# -- circulation staff ---------------------------------------------------------------------------


def test_a_clerk_opens_check_out_and_check_in(clerk_client):
    assert clerk_client.get(reverse("admin:circulation_checkout")).status_code == 200
    assert clerk_client.get(reverse("admin:circulation_checkin")).status_code == 200


def test_a_clerk_cannot_waive_a_fine_at_the_desk(clerk_client, fine):
    desk = reverse("admin:circulation_payment")
    clerk_client.post(desk, {"action": "card", "card_number": "21234567890001"})
    page = clerk_client.get(desk).content.decode()
    assert 'name="reason"' not in page  # no waive form offered
    response = clerk_client.post(
        desk, {"action": "waive", "fine": fine.pk, "reason": "hardship"}, follow=True
    )
    assert (
        "You may not waive fines. The roles Librarian and Library administrator may."
        in response.content.decode()
    )
    fine.refresh_from_db()
    assert fine.waived_at is None and fine.settled_at is None and fine.waive_reason == ""


def test_a_clerk_cannot_waive_a_fine_in_the_fine_list(clerk_client, fine):
    clerk_client.post(
        reverse("admin:circulation_fine_changelist"),
        {"action": "waive_selected", "_selected_action": [fine.pk], "apply": "1", "reason": "x"},
    )
    assert Fine.objects.get(pk=fine.pk).waived_at is None


def test_a_clerk_cannot_edit_a_retention_policy(clerk_client, policy):
    days = policy.days
    assert clerk_client.get(policy_url(policy)).status_code == 403
    assert clerk_client.post(policy_url(policy), {"days": days + 30}).status_code == 403
    assert RetentionPolicy.objects.get(pk=policy.pk).days == days


def test_a_clerk_cannot_open_the_audit_log(clerk_client):
    assert clerk_client.get("/admin/auditlog/logentry/").status_code == 403


# -- librarians and administrators -------------------------------------------------------------


def test_a_librarian_can_waive_a_fine_at_the_desk(librarian_client, fine):
    desk = reverse("admin:circulation_payment")
    librarian_client.post(desk, {"action": "card", "card_number": "21234567890001"})
    response = librarian_client.post(
        desk, {"action": "waive", "fine": fine.pk, "reason": "hardship"}, follow=True
    )
    assert "Fine waived." in response.content.decode()
    fine.refresh_from_db()
    assert fine.waived_at is not None and fine.waive_reason == "hardship"
    assert fine.waived_by == librarian_client.user and fine.balance == 0


def test_a_librarian_cannot_edit_a_retention_policy_or_read_the_audit_log(librarian_client, policy):
    days = policy.days
    assert librarian_client.post(policy_url(policy), {"days": days + 30}).status_code == 403
    assert RetentionPolicy.objects.get(pk=policy.pk).days == days
    assert librarian_client.get("/admin/auditlog/logentry/").status_code == 403


def test_only_a_library_administrator_edits_retention_policies(director_client, policy):
    assert director_client.get(policy_url(policy)).status_code == 200
    response = director_client.post(policy_url(policy), {"days": policy.days + 30})
    assert response.status_code == 302
    assert RetentionPolicy.objects.get(pk=policy.pk).days == policy.days + 30


def test_a_library_administrator_reads_the_audit_log(director_client):
    assert director_client.get("/admin/auditlog/logentry/").status_code == 200


def test_staff_without_a_role_open_nothing(roleless, fine, policy):
    nobody = signed_in(roleless)
    for url in (
        reverse("admin:circulation_checkout"),
        reverse("admin:circulation_fine_changelist"),
        policy_url(policy),
        "/admin/auditlog/logentry/",
    ):
        assert nobody.get(url).status_code == 403, url
