"""Staff roles (DESIGN.md section 6): the groups hold exactly the permissions of
`patrons.roles.roles()`, and the admin lets each role do its work and nothing more."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from circulation.models import Fine
from patrons import roles
from patrons.models import RetentionPolicy
from tests.factories import CardFactory, FineFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def signed_in(*groups: str) -> Client:
    user = StaffUserFactory(username="-".join(groups).lower().replace(" ", "-") or "no-role")
    user.groups.set(Group.objects.filter(name__in=groups))
    client = Client()
    client.force_login(user)  # not login(): django-axes needs a request to authenticate
    client.user = user
    return client


@pytest.fixture
def clerk():
    return signed_in(roles.CIRCULATION_STAFF)


@pytest.fixture
def librarian():
    return signed_in(roles.LIBRARIAN)


@pytest.fixture
def administrator():
    return signed_in(roles.LIBRARY_ADMINISTRATOR)


@pytest.fixture
def fine():
    card = CardFactory(number="21234567890001")
    return FineFactory(patron=card.patron, amount=Decimal("3.00"))


@pytest.fixture
def policy():
    return RetentionPolicy.objects.get(kind="loan")


def policy_url(policy) -> str:
    return reverse("admin:patrons_retentionpolicy_change", args=[policy.pk])


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
    assert "patrons.change_retentionpolicy" in administrator - librarian
    assert "auditlog.view_logentry" in administrator - librarian
    assert not any(
        p.startswith("auditlog.") and p != "auditlog.view_logentry" for p in administrator
    )


# -- circulation staff ---------------------------------------------------------------------------


def test_a_clerk_opens_check_out_and_check_in(clerk):
    assert clerk.get(reverse("admin:circulation_checkout")).status_code == 200
    assert clerk.get(reverse("admin:circulation_checkin")).status_code == 200


def test_a_clerk_cannot_waive_a_fine_at_the_desk(clerk, fine):
    desk = reverse("admin:circulation_payment")
    clerk.post(desk, {"action": "card", "card_number": "21234567890001"})
    page = clerk.get(desk).content.decode()
    assert 'name="reason"' not in page  # no waive form offered
    response = clerk.post(
        desk, {"action": "waive", "fine": fine.pk, "reason": "Hardship"}, follow=True
    )
    assert "Only librarians can waive fines." in response.content.decode()
    fine.refresh_from_db()
    assert fine.waived_at is None and fine.settled_at is None and fine.waive_reason == ""


def test_a_clerk_cannot_waive_a_fine_in_the_fine_list(clerk, fine):
    clerk.post(
        reverse("admin:circulation_fine_changelist"),
        {"action": "waive_selected", "_selected_action": [fine.pk], "apply": "1", "reason": "x"},
    )
    assert Fine.objects.get(pk=fine.pk).waived_at is None


def test_a_clerk_cannot_edit_a_retention_policy(clerk, policy):
    days = policy.days
    assert clerk.get(policy_url(policy)).status_code == 403
    assert clerk.post(policy_url(policy), {"days": days + 30}).status_code == 403
    assert RetentionPolicy.objects.get(pk=policy.pk).days == days


def test_a_clerk_cannot_open_the_audit_log(clerk):
    assert clerk.get("/admin/auditlog/logentry/").status_code == 403


# -- librarians and administrators -------------------------------------------------------------


def test_a_librarian_can_waive_a_fine_at_the_desk(librarian, fine):
    desk = reverse("admin:circulation_payment")
    librarian.post(desk, {"action": "card", "card_number": "21234567890001"})
    response = librarian.post(
        desk, {"action": "waive", "fine": fine.pk, "reason": "Hardship"}, follow=True
    )
    assert "Fine waived." in response.content.decode()
    fine.refresh_from_db()
    assert fine.waived_at is not None and fine.waive_reason == "Hardship"
    assert fine.waived_by == librarian.user and fine.balance == 0


def test_a_librarian_cannot_edit_a_retention_policy_or_read_the_audit_log(librarian, policy):
    days = policy.days
    assert librarian.post(policy_url(policy), {"days": days + 30}).status_code == 403
    assert RetentionPolicy.objects.get(pk=policy.pk).days == days
    assert librarian.get("/admin/auditlog/logentry/").status_code == 403


def test_only_a_library_administrator_edits_retention_policies(administrator, policy):
    assert administrator.get(policy_url(policy)).status_code == 200
    response = administrator.post(policy_url(policy), {"days": policy.days + 30})
    assert response.status_code == 302
    assert RetentionPolicy.objects.get(pk=policy.pk).days == policy.days + 30


def test_a_library_administrator_reads_the_audit_log(administrator):
    assert administrator.get("/admin/auditlog/logentry/").status_code == 200


def test_staff_without_a_role_open_nothing(fine, policy):
    nobody = signed_in()
    for url in (
        reverse("admin:circulation_checkout"),
        reverse("admin:circulation_fine_changelist"),
        policy_url(policy),
        "/admin/auditlog/logentry/",
    ):
        assert nobody.get(url).status_code == 403, url
