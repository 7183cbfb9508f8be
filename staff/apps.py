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
        Nav("Settings", "roles", 95),
        Nav("Settings", "RoleChange", 96),
    )

    def ready(self) -> None:
        # Needed here, not at the top: the models exist only now.
        from auditlog.registry import auditlog  # noqa: PLC0415

        from staff.models import RoleChange  # noqa: PLC0415

        # The Roles page's changes are audited (who gave or took which permission).
        if not auditlog.contains(RoleChange):
            auditlog.register(RoleChange, serialize_data=False)


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the staff site (`staff/site.py`) as its default site."""

    default = False

    default_site = "staff.site.CalumetAdminSite"
