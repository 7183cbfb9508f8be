"""Roles the library can shape: the defaults, the Roles page, changes
that survive the migrations' sync, and refusals that name the roles that may."""

import re

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from circulation.models import BranchClosure, CirculationRule, Item
from staff import roles
from staff.models import RoleChange
from staff.services import RolesRefused, roles_set
from tests.factories import BranchFactory, ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return BranchFactory()


ROLES = reverse("admin:staff_roles")


def held(role: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def form_of(client) -> dict:
    """What the Roles page would send back unchanged: every offered permission and every
    checked box (the disabled ones come with a hidden twin)."""
    page = client.get(ROLES).content.decode()

    offered = re.findall(r'name="offered" value="(\d+)"', page)
    checked = re.findall(r'name="held" value="([\d:]+)"(?=[^>]*checked)', page)
    hidden = re.findall(r'type="hidden" name="held" value="([\d:]+)"', page)
    return {"offered": offered, "held": sorted(set(checked) | set(hidden))}


def cell(role: str, name: str) -> str:
    return f"{roles.ORDER.index(role)}:{permission(name).pk}"


# -- the defaults ---------------------------------------------------------------------------


def test_librarians_manage_loan_rules_and_closed_days_and_clerks_declare_lost():
    librarian = held(roles.LIBRARIAN)
    assert {
        "circulation.add_circulationrule",
        "circulation.change_circulationrule",
        "circulation.delete_circulationrule",
        "circulation.add_branchclosure",
        "circulation.change_branchclosure",
        "circulation.delete_branchclosure",
    } <= librarian
    assert "circulation.declare_item_lost" in held(roles.CIRCULATION_STAFF)
    assert "circulation.change_item" not in held(roles.CIRCULATION_STAFF)
    assert "staff.change_rolechange" in held(roles.LIBRARY_ADMINISTRATOR) - librarian


def test_a_librarian_adds_a_closed_day_and_changes_a_loan_rule(librarian_client, branch):
    response = librarian_client.post(
        reverse("admin:circulation_branchclosure_add"),
        {"date": "2031-07-04", "reason": "Independence Day", "yearly": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert BranchClosure.objects.filter(reason="Independence Day").exists()
    assert (
        librarian_client.get(reverse("admin:circulation_circulationrule_changelist")).status_code
        == 200
    )


def test_a_clerk_declares_a_copy_lost_from_the_item_list(clerk_client, branch):
    item = ItemFactory(branch=branch)
    clerk_client.post(
        reverse("admin:circulation_item_changelist"),
        {"action": "declare_lost", "_selected_action": [item.pk]},
    )
    assert Item.objects.get(pk=item.pk).status == Item.Status.LOST


# -- the page -------------------------------------------------------------------------------


def test_the_roles_page_shows_each_permission_in_words_per_area(director_client):
    page = director_client.get(ROLES).content.decode()
    assert "Roles: who may do what" in page
    assert "<caption>Circulation</caption>" in page
    assert "Change circulation rule" in page
    assert "Declare an item lost" in page
    for role in roles.ORDER:
        assert f'<th scope="col">{role}</th>' in page


@pytest.mark.parametrize("who", ["clerk_client", "librarian_client"])
def test_only_the_administrator_opens_the_roles_page_and_is_named(who, request):
    response = request.getfixturevalue(who).get(ROLES)
    assert response.status_code == 403
    assert "Only the role Library administrator may." in response.content.decode()


def test_the_administrator_takes_lost_from_clerks_and_it_is_audited_and_survives_migrate(
    director_client, director
):
    form = form_of(director_client)
    form["held"].remove(cell(roles.CIRCULATION_STAFF, "circulation.declare_item_lost"))
    form["held"].append(cell(roles.CIRCULATION_STAFF, "circulation.view_visitcount"))
    response = director_client.post(ROLES, form, follow=True)
    assert "Roles saved: 2 changes." in response.content.decode()
    assert "circulation.declare_item_lost" not in held(roles.CIRCULATION_STAFF)
    assert "circulation.view_visitcount" in held(roles.CIRCULATION_STAFF)
    # Only the clerks changed: a librarian still may.
    assert "circulation.declare_item_lost" in held(roles.LIBRARIAN)
    changes = RoleChange.objects.filter(group__name=roles.CIRCULATION_STAFF)
    assert {(c.permission.codename, c.granted) for c in changes} == {
        ("declare_item_lost", False),
        ("view_visitcount", True),
    }
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(RoleChange))
    assert entries.count() == 2 and {e.actor for e in entries} == {director}

    roles.sync_roles(strict=True)  # what the next migration's data step does
    assert "circulation.declare_item_lost" not in held(roles.CIRCULATION_STAFF)
    assert "circulation.view_visitcount" in held(roles.CIRCULATION_STAFF)

    # Set back to the default: no longer a change of the library's.
    form = form_of(director_client)
    form["held"].append(cell(roles.CIRCULATION_STAFF, "circulation.declare_item_lost"))
    director_client.post(ROLES, form)
    assert "circulation.declare_item_lost" in held(roles.CIRCULATION_STAFF)
    assert not changes.filter(permission__codename="declare_item_lost").exists()


def test_a_refusal_names_the_roles_as_the_library_set_them(director_client, clerk_client, branch):
    form = form_of(director_client)
    form["held"].remove(cell(roles.CIRCULATION_STAFF, "circulation.declare_item_lost"))
    director_client.post(ROLES, form)
    item = ItemFactory(branch=branch)
    clerk_client.post(
        reverse("admin:circulation_checkout"), {"action": "branch", "branch": branch.pk}
    )
    response = clerk_client.get(reverse("admin:circulation_lost_damaged"))
    assert response.status_code == 403
    assert "The roles Librarian and Library administrator may." in response.content.decode()
    assert Item.objects.get(pk=item.pk).status == Item.Status.AVAILABLE


@pytest.mark.parametrize(
    "tamper",
    [
        lambda form: form["held"].append("7:1"),  # no such role
        lambda form: form["held"].append("x:y"),
        lambda form: form["offered"].append("999999"),  # no such permission
    ],
)
def test_a_tampered_form_changes_nothing(director_client, tamper):
    before = {role: held(role) for role in roles.ORDER}
    form = form_of(director_client)
    form["held"].remove(cell(roles.CIRCULATION_STAFF, "circulation.declare_item_lost"))
    tamper(form)
    response = director_client.post(ROLES, form, follow=True)
    assert response.status_code == 200
    assert '<li class="error">' in response.content.decode()
    assert {role: held(role) for role in roles.ORDER} == before
    assert not RoleChange.objects.exists()


def test_the_administrator_cannot_take_the_roles_page_from_the_administrator(director_client):
    before = held(roles.LIBRARY_ADMINISTRATOR)
    everything = {p.pk for p in Permission.objects.filter(content_type__app_label="staff")}
    with pytest.raises(RolesRefused, match="keeps the Roles page"):
        roles_set(
            wanted={roles.LIBRARY_ADMINISTRATOR: set()},
            offered=everything,
            actor=director_client.user,
        )
    assert held(roles.LIBRARY_ADMINISTRATOR) == before


def test_a_librarian_cannot_change_the_roles(librarian, director):
    with pytest.raises(PermissionDenied, match="Only the role Library administrator may"):
        roles_set(wanted={}, offered=set(), actor=librarian)


def test_a_rule_change_by_a_clerk_is_refused_naming_who_may(clerk_client):
    response = clerk_client.get(reverse("admin:circulation_circulationrule_add"))
    assert response.status_code == 403
    assert "Librarian" in response.content.decode()
    assert not CirculationRule.objects.filter(loan_days=99).exists()


def test_the_page_lists_for_the_administrator_only(director_client, librarian_client):
    assert "Roles: who may do what" in director_client.get(reverse("admin:index")).content.decode()
    assert (
        "Roles: who may do what"
        not in librarian_client.get(reverse("admin:index")).content.decode()
    )
