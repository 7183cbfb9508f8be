"""Error pages on the staff side stay in the admin's layout and lead back to work."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_page_the_role_may_not_open_is_403_in_the_admin_layout(librarian_client):
    response = librarian_client.get("/admin/auditlog/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Back to the staff home" in page and 'href="/admin/"' in page
    assert "Search the catalog" not in page  # not the public site's page
    assert librarian_client.get("/admin/auditlog/logentry/").status_code == 403


def test_a_missing_staff_page_is_404_in_the_admin_layout(librarian_client):
    response = librarian_client.get("/admin/no-such-page/")
    assert response.status_code == 404
    assert "Back to the staff home" in response.content.decode()


def test_the_public_side_keeps_the_public_error_pages(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Back to the staff home" not in response.content.decode()
