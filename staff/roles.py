"""Staff roles: each group and the permissions it holds.

Each app grants its own permissions to the roles (`grant`, called from the app's
`records.py`); a role holds what it was granted and everything the role below it holds
(Circulation staff < Librarian < Library administrator). These are the defaults. A data
migration creates the groups and `sync_roles()` is called again by a later migration when
grants change.

The library administrator may change them on the Roles page (`staff/roles_page.py`):
each change is kept as a `staff.RoleChange` row, and `sync_roles()` applies those rows
after the defaults, so a library's choices survive every later `migrate` (a permission set
back to its default is no longer a change). A permission changed by hand on Django's group
page is not a change: the next sync puts the defaults back.

A refusal names the roles that may (`refusal()`, `require()`), as they are now.
Patrons are not Django users and belong to none of these groups.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

CIRCULATION_STAFF = "Circulation staff"
LIBRARIAN = "Librarian"
LIBRARY_ADMINISTRATOR = "Library administrator"

#: Lowest role first: each role also holds everything granted to the ones before it.
ORDER = (CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR)

_GRANTS: dict[str, set[str]] = {role: set() for role in ORDER}

#: What the Roles page may not take from the library administrator (it would lock every
#: administrator out of the page that gives it back).
KEPT_BY_ADMINISTRATOR = ("staff.view_rolechange", "staff.change_rolechange")


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
        "privacy.run_expunge",  # "Run now", with its dry-run preview
        *perms("privacy", "legalhold", "view", "add", "change"),
        *perms("auditlog", "logentry", "view"),
        # The Roles page: which role may do what.
        *perms("staff", "rolechange", "view", "change"),
    ],
)


def sync_roles(apps=None, *, strict: bool = False) -> None:
    """Create the groups and set exactly the permissions of `ROLES` on each.

    A data migration runs against the models as they were at that point of the history,
    where a permission named here may not exist yet: it is skipped then (a later
    migration calls this again). With `strict=True` a missing permission is an error.
    """
    if apps is None:
        apps = global_apps

    # Permissions are normally created after all migrations; make sure they exist now.
    # create_permissions() skips an app without a models module, which a migration's
    # historical app configs never have: lend them one for the call, and give back what
    # each had (the running site's real modules stay, so the next flush or migrate still
    # sends them post_migrate).
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    try:
        change_model = apps.get_model("staff", "RoleChange")
    except LookupError:  # a migration before the Roles page existed
        change_model = None
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
        if change_model is not None:
            wanted_ids = {permission.pk for permission in wanted}
            for change in change_model.objects.filter(group=group):
                if change.granted:
                    wanted_ids.add(change.permission_id)
                else:
                    wanted_ids.discard(change.permission_id)
            wanted = list(permission_model.objects.filter(pk__in=wanted_ids))
        group.permissions.set(wanted)


def migrate_roles(apps, schema_editor) -> None:
    """For RunPython in the migrations that bring the groups up to date."""
    sync_roles(apps=apps)


# -- refusals that name who may --------------------------------------------------------------


def holders(dotted: str) -> list[str]:
    """The roles whose group holds this permission ("app.codename") now, lowest first."""
    app_label, codename = dotted.split(".", 1)
    names = set(
        Group.objects.filter(
            name__in=ORDER,
            permissions__content_type__app_label=app_label,
            permissions__codename=codename,
        ).values_list("name", flat=True)
    )
    return [role for role in ORDER if role in names]


def who_may(dotted: str) -> str:
    """ "Librarian and Library administrator may." for a refusal's message."""
    names = holders(dotted)
    if not names:
        return (
            "No staff role may at present; the library administrator can give it to one "
            "on the Roles page."
        )
    if len(names) == 1:
        return f"Only the role {names[0]} may."
    return f"The roles {', '.join(names[:-1])} and {names[-1]} may."


def refusal(dotted: str, doing: str):
    """A PermissionDenied: "You may not <doing>. The roles … may." """
    return PermissionDenied(f"You may not {doing}. {who_may(dotted)}")


def require(actor, dotted: str, doing: str) -> None:
    """Refuse (PermissionDenied naming who may) unless `actor` holds the permission."""
    if actor is None or not actor.has_perm(dotted):
        raise refusal(dotted, doing)
