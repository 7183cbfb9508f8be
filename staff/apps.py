from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

from core.admin_site import Nav


class StaffConfig(AppConfig):
    """The staff side: roles (Django groups and their permissions), the staff site (Django's
    admin with task pages and a navigation the apps declare) and its second factor."""

    name = "staff"
    verbose_name = "Staff"
    #: Staff accounts and roles (Django's users and groups) in the staff navigation.
    navigation = (
        Nav("Settings", "User", 90, app_label="auth"),
        Nav("Settings", "Group", 100, app_label="auth"),
    )


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the staff site (`staff/site.py`) as its default site."""

    default = False

    default_site = "staff.site.CalumetAdminSite"
