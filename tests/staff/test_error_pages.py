"""Staff error pages keep the staff layout: 403, 404 and 500 under
/admin/; the public site's pages elsewhere."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.staff.urls_boom"


def test_a_staff_500_keeps_the_staff_layout_with_nothing_from_the_request(failing, librarian):
    client = Client(raise_request_exception=False)
    client.force_login(librarian)
    response = client.get("/admin/boom/?card=21234000000001")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Calumet staff" in html and 'id="site-name"' in html  # the staff header
    assert "Back to the staff home" in html
    assert 'class="site-header"' not in html  # not the public site's
    assert "21234000000001" not in html and librarian.username not in html


def test_a_public_500_keeps_the_public_layout(failing):
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "Calumet staff" not in html


def test_a_staff_404_and_403_keep_the_staff_layout(failing, clerk):
    client = Client()
    client.force_login(clerk)
    missing = client.get("/admin/circulation/loan/999999/change/", follow=True)
    assert 'id="site-name"' in missing.content.decode()
    forbidden = client.get("/admin/privacy/retentionpolicy/")
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert 'id="site-name"' in html
    assert "You may not open the list of retention policies." in html
    assert "Only the role Library administrator may." in html
