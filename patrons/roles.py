"""Staff roles (DESIGN.md section 6): each group and the permissions it holds.

A data migration creates the groups from this table and `sync_roles()` can be called
again by a later migration when the table grows (for example with custom permissions).
Patrons are not Django users and belong to none of these groups.
"""

CIRCULATION_STAFF = "Circulation staff"
LIBRARIAN = "Librarian"
LIBRARY_ADMINISTRATOR = "Library administrator"


def _perms(app: str, model: str, *actions: str) -> list[str]:
    return [f"{app}.{action}_{model}" for action in actions]


_CIRCULATION = [
    *_perms("patrons", "patron", "view"),
    *_perms("patrons", "card", "view"),
    *_perms("patrons", "patronblock", "view"),
    *_perms("circulation", "branch", "view"),
    *_perms("circulation", "title", "view"),
    *_perms("circulation", "item", "view"),
    *_perms("circulation", "program", "view"),
    *_perms("circulation", "circulationrule", "view"),
    *_perms("circulation", "noticesent", "view"),
    *_perms("circulation", "loan", "view", "add", "change"),
    *_perms("circulation", "hold", "view", "add", "change"),
    *_perms("circulation", "fine", "view", "change"),
    *_perms("circulation", "programregistration", "view", "add", "change"),
    *_perms("circulation", "visit", "view", "add"),
    *_perms("circulation", "computersession", "view", "add", "change"),
    # Any staff member records a demand for records (and sees only what they recorded).
    *_perms("disclosures", "disclosurerequest", "view", "add"),
]

_LIBRARIAN = [
    *_CIRCULATION,
    *_perms("patrons", "patron", "add", "change"),
    *_perms("patrons", "card", "add", "change"),
    *_perms("patrons", "patronblock", "add", "change"),
    *_perms("circulation", "title", "add", "change", "delete"),
    *_perms("circulation", "item", "add", "change"),
    *_perms("circulation", "program", "add", "change", "delete"),
    *_perms("circulation", "visitcount", "view"),
    "circulation.waive_fine",
    "circulation.add_fine",  # a charge added by hand
]

_ADMINISTRATOR = [
    *_LIBRARIAN,
    *_perms("circulation", "branch", "add", "change"),
    *_perms("circulation", "branchclosure", "view", "add", "change", "delete"),
    *_perms("circulation", "openinghours", "view", "add", "change", "delete"),
    *_perms("circulation", "circulationrule", "add", "change", "delete"),
    *_perms("patrons", "retentionpolicy", "view", "change"),
    *_perms("patrons", "expungerun", "view"),
    *_perms("patrons", "legalhold", "view", "add", "change"),
    *_perms("disclosures", "disclosurerequest", "change"),
    "disclosures.decide_disclosurerequest",
    *_perms("auditlog", "logentry", "view"),
]

ROLES: dict[str, list[str]] = {
    CIRCULATION_STAFF: _CIRCULATION,
    LIBRARIAN: _LIBRARIAN,
    LIBRARY_ADMINISTRATOR: _ADMINISTRATOR,
}


def sync_roles(apps=None, *, strict: bool = False) -> None:
    """Create the groups and set exactly the permissions of `ROLES` on each.

    A data migration runs against the models as they were at that point of the history,
    where a permission named here may not exist yet: it is skipped then (a later
    migration calls this again). With `strict=True` a missing permission is an error.
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = []
        for dotted in codenames:
            app_label, codename = dotted.split(".", 1)
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                if strict:
                    raise LookupError(f"Permission {dotted} does not exist.")
                continue
            wanted.append(permission)
        group.permissions.set(wanted)


def migrate_roles(apps, schema_editor) -> None:
    """For RunPython in the migrations that bring the groups up to date."""
    sync_roles(apps=apps)
