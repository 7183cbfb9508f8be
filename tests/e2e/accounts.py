"""Staff accounts of the browser tests, and signing one in on the admin's login page."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from staff.roles import CIRCULATION_STAFF, LIBRARY_ADMINISTRATOR  # noqa: F401  (re-exported)

PASSWORD = "calumet-demo"


def staff(username, role):
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def sign_in(page, username):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()
