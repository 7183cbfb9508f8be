"""The library administrator manages terminal accounts and reads their events.

`patrons.roles` sets each role's permissions from its own table; this app adds its
permissions to the Library administrator group after every migrate (a post_migrate
hook), so a later `sync_roles()` cannot leave the group without them.
"""

from patrons.roles import LIBRARY_ADMINISTRATOR

PERMISSIONS = [
    "view_terminal",
    "add_terminal",
    "change_terminal",
    "delete_terminal",
    "view_terminalevent",
]


def grant_administrator_permissions(sender=None, apps=None, **kwargs) -> None:
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:
        return
    group = group_model.objects.filter(name=LIBRARY_ADMINISTRATOR).first()
    if group is None:
        return
    permissions = permission_model.objects.filter(
        content_type__app_label="sip2", codename__in=PERMISSIONS
    )
    group.permissions.add(*permissions)
