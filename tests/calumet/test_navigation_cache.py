"""The staff navigation is built once per set of permissions and roles, and a change of
either shows at the next page (it is not kept for the person, but for what they hold)."""

import pytest
from django.contrib.auth.models import Group, Permission

from tests.helpers import make_staff, signed_in

pytestmark = pytest.mark.django_db

LEGAL_HOLDS = "/admin/privacy/legalhold/"


def test_a_permission_or_role_given_or_taken_shows_at_the_next_page(roleless):
    client = signed_in(roleless)
    assert LEGAL_HOLDS not in client.get("/admin/").content.decode()

    view = Permission.objects.get(codename="view_legalhold")
    roleless.user_permissions.add(view)
    assert LEGAL_HOLDS in client.get("/admin/").content.decode()

    roleless.user_permissions.remove(view)
    assert LEGAL_HOLDS not in client.get("/admin/").content.decode()

    group = Group.objects.get(name="Library administrator")
    roleless.groups.add(group)
    page = client.get("/admin/").content.decode()
    assert LEGAL_HOLDS in page
    roleless.groups.remove(group)
    assert LEGAL_HOLDS not in client.get("/admin/").content.decode()


def test_two_people_with_the_same_role_see_the_same_navigation(clerk, librarian):
    other_clerk = make_staff("clerk2", "Circulation staff")
    pages = [
        signed_in(user).get("/admin/circulation/checkout/").content.decode()
        for user in (clerk, other_clerk)
    ]
    navigation = [page.split('id="nav-sidebar"')[1].split("</nav>")[0] for page in pages]
    assert navigation[0] == navigation[1]
    librarians = signed_in(librarian).get("/admin/circulation/checkout/").content.decode()
    assert librarians.split('id="nav-sidebar"')[1].split("</nav>")[0] != navigation[0]


def test_a_bookmark_of_a_moved_page_still_arrives(director_client):
    """Legal holds, retention policies and expunge runs moved from the patrons app's
    pages to the privacy kernel's: the old address (with its query) redirects."""
    response = director_client.get("/admin/patrons/legalhold/?q=1")
    assert response.status_code == 302
    assert response["Location"] == "/admin/privacy/legalhold/?q=1"
    assert director_client.get(response["Location"]).status_code == 200
