"""The database out of reach for a moment (restarting): the desk and the portal say so and
ask to try again (503), and the next request works with no restart of the site."""

from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.template.loader import render_to_string
from django.utils import translation

from staff.roles import CIRCULATION_STAFF
from tests.factories import BranchFactory
from tests.helpers import make_staff, signed_in

pytestmark = pytest.mark.django_db


def test_a_database_restart_mid_request_is_a_clear_503_and_the_next_request_works():
    BranchFactory()
    clerk = signed_in(make_staff("clerk", CIRCULATION_STAFF))
    clerk.raise_request_exception = False  # as a browser sees it
    restarting = OperationalError("terminating connection due to administrator command")

    with mock.patch("django.contrib.auth.middleware.get_user", side_effect=restarting):
        page = clerk.get("/admin/circulation/desk/")

    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    text = page.content.decode()
    assert "try again in a few seconds" in text and "never lends an item twice" in text
    assert "terminating connection" not in text
    # The same site, the next request: it works.
    assert clerk.get("/admin/circulation/desk/").status_code == 200


def test_the_503_page_speaks_spanish():
    with translation.override("es"):
        page = render_to_string("503.html")
    assert "Briefly unavailable" not in page
