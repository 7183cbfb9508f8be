"""Staff roles: each group and the permissions it holds.

Each app grants its own permissions to the roles (`grant`, called from the app's
`records.py`); a role holds what it was granted and everything the role below it holds
(Circulation staff < Librarian < Library administrator). A data migration creates the
groups and `sync_roles()` is called again by a later migration when grants change.
Patrons are not Django users and belong to none of these groups.
"""

CIRCULATION_STAFF = "Circulation staff"
LIBRARIAN = "Librarian"
LIBRARY_ADMINISTRATOR = "Library administrator"

#: Lowest role first: each role also holds everything granted to the ones before it.
ORDER = (CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR)

_GRANTS: dict[str, set[str]] = {role: set() for role in ORDER}


def perms(app: str, model: str, *actions: str) -> list[str]:
    """["app.view_model", ...] for the given actions."""
    return [f"{app}.{action}_{model}" for action in actions]


def grant(role: str, codenames) -> None:
    """Give `role` (and the roles above it) these permissions ("app.codename")."""
    if role not in _GRANTS:
        raise ValueError(f"Unknown role {role!r}.")
    _GRANTS[role].update(codenames)


def roles() -> dict[str, list[str]]:
    """Every role with all its permissions, sorted."""
    held: set[str] = set()
    result = {}
    for role in ORDER:
        held |= _GRANTS[role]
        result[role] = sorted(held)
    return result


grant(
    CIRCULATION_STAFF,
    [
        *perms("patrons", "patroncategory", "view"),
        # Register patrons, renew registrations, issue temporary PINs and replace cards at
        # the desk (all through patrons.accounts / patrons.pins).
        *perms("patrons", "patron", "view", "add", "change"),
        *perms("patrons", "card", "view", "add", "change"),
        *perms("patrons", "patronblock", "view"),
        # Online sign-ups: collect them at the desk (patrons.signup), discard pranks.
        *perms("patrons", "signup", "view", "delete"),
    ],
)
grant(
    LIBRARIAN,
    [
        *perms("patrons", "patron", "add", "change"),
        *perms("patrons", "card", "add", "change"),
        *perms("patrons", "patronblock", "add", "change"),
    ],
)
grant(
    LIBRARY_ADMINISTRATOR,
    [
        *perms("patrons", "patroncategory", "view", "add", "change"),
        *perms("privacy", "retentionpolicy", "view", "change"),
        *perms("privacy", "expungerun", "view"),
        *perms("privacy", "legalhold", "view", "add", "change"),
        *perms("auditlog", "logentry", "view"),
    ],
)


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
    for name, codenames in roles().items():
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
