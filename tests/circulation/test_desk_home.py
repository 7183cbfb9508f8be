"""The desk home: circulation staff land on it after signing in, see the day's counts,
and reach every desk action in one click; the staff navigation is grouped by task."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from circulation.models import Hold
from staff.roles import LIBRARIAN
from tests.factories import HoldFactory, ItemFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db

DESK = "/admin/circulation/desk/"


def test_circulation_staff_land_on_the_desk_home(clerk_client):
    response = clerk_client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"] == DESK


def groups_for(user) -> list[str]:
    """The navigation's groups as the staff member sees them (the index, or the sidebar)."""
    request = RequestFactory().get("/admin/")
    request.user = type(user).objects.get(pk=user.pk)  # as each request loads it
    return [app["name"] for app in admin.site.get_app_list(request)]


def test_the_clerks_navigation_starts_at_the_desk(clerk, clerk_client):
    groups = groups_for(clerk)
    assert groups[0] == "Desk"
    assert groups.index("Patrons") < groups.index("Catalog")
    # The sidebar of the desk home is in the same order.
    sidebar = clerk_client.get(DESK).context["available_apps"]
    assert [app["name"] for app in sidebar] == groups


def test_the_librarians_index_starts_with_the_catalog_then_the_desk(librarian, librarian_client):
    response = librarian_client.get(reverse("admin:index"))
    assert response.status_code == 200
    groups = [app["name"] for app in response.context["app_list"]]
    assert groups == groups_for(librarian)
    assert groups[:2] == ["Catalog", "Desk"]
    assert groups.index("Patrons") < groups.index("Settings")
    desk = response.context["app_list"][1]["models"]
    assert desk[0]["name"] == "Desk" and desk[0]["admin_url"] == DESK


def test_the_library_administrators_index_starts_with_privacy_and_audit(director_client):
    response = director_client.get(reverse("admin:index"))
    groups = [app["name"] for app in response.context["app_list"]]
    assert groups[0] == "Privacy and audit"
    assert groups[-1] == "Settings"
    names = [model["name"] for model in response.context["app_list"][0]["models"]]
    assert "Patron access report" in names and "Disclosure requests" in names


def test_a_staff_member_with_two_roles_gets_the_higher_ones_order(clerk):
    assert groups_for(clerk)[0] == "Desk"
    clerk.groups.add(Group.objects.get(name=LIBRARIAN))
    assert groups_for(clerk)[:2] == ["Catalog", "Desk"]


def test_every_desk_action_is_one_click_away(clerk_client):
    page = clerk_client.get(DESK).content.decode()
    for name in (
        "admin:circulation_checkout",
        "admin:circulation_checkin",
        "admin:circulation_renew",
        "admin:circulation_hold_shelf",
        "admin:circulation_payment",
        "admin:patrons_patron_changelist",
    ):
        assert f'href="{reverse(name)}"' in page, name


def test_the_counts_say_what_needs_doing(clerk_client, now):
    item = ItemFactory()
    waiting = HoldFactory()
    Hold.objects.filter(pk=waiting.pk).update(
        status=Hold.Status.WAITING, item=item, pickup_by=timezone.localtime(now)
    )
    later = HoldFactory()
    Hold.objects.filter(pk=later.pk).update(
        status=Hold.Status.WAITING,
        item=ItemFactory(),
        pickup_by=now + datetime.timedelta(days=5),
    )
    counts = {c["label"]: c["count"] for c in clerk_client.get(DESK).context["counts"]}
    assert counts["On the hold shelf"] == 2
    assert counts["Pickups expiring today"] == 1


def test_staff_without_circulation_rights_may_not_open_it(roleless):
    assert signed_in(roleless).get(DESK).status_code == 403
