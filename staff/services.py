"""The Roles page's one write: which role holds which permission, kept as `RoleChange`
rows against the defaults of `staff/roles.py` (so `sync_roles()` at the next `migrate`
keeps them) and applied to the groups at once. Audited as the actor's (django-auditlog
logs every `RoleChange` created, changed or removed)."""

from __future__ import annotations

from auditlog.context import set_actor
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from staff import roles
from staff.exceptions import RolesRefused, StaffRefusal
from staff.models import RoleChange


def dotted(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def roles_set(*, wanted: dict[str, set[int]], offered: set[int], actor) -> int:
    """Give each role exactly the permissions `wanted` names among those `offered` (ids of
    the permissions on the page); what is not offered is left as it is. Returns how many
    role-permission pairs changed. Refuses an unknown role or permission, and taking the
    Roles page from the library administrator."""
    roles.require(actor, "staff.change_rolechange", "change what each role may do")
    unknown = set(wanted) - set(roles.ORDER)
    if unknown:
        raise RolesRefused(StaffRefusal.ROLE)
    every = set(Permission.objects.filter(pk__in=offered).values_list("pk", flat=True))
    if every != set(offered) or any(set(ids) - every for ids in wanted.values()):
        raise RolesRefused(StaffRefusal.PERMISSION)
    kept = set(
        Permission.objects.filter(
            content_type__app_label="staff",
            codename__in=[name.split(".", 1)[1] for name in roles.KEPT_BY_ADMINISTRATOR],
        ).values_list("pk", flat=True)
    )
    if kept & every - set(wanted.get(roles.LIBRARY_ADMINISTRATOR, ())):
        raise RolesRefused(
            f"The role {roles.LIBRARY_ADMINISTRATOR} keeps the Roles page: without it no one "
            "could give it back.",
            code=StaffRefusal.LOCKED_OUT,
        )
    defaults = roles.roles()
    changed = 0
    with transaction.atomic(), set_actor(actor):
        for name in roles.ORDER:
            group = Group.objects.select_for_update().get(name=name)
            held = set(group.permissions.values_list("pk", flat=True))
            want = set(wanted.get(name, ())) & every
            add, remove = (want - held) & every, (held - want) & every
            if not add and not remove:
                continue
            changed += len(add) + len(remove)
            group.permissions.add(*add)
            group.permissions.remove(*remove)
            by_id = Permission.objects.select_related("content_type").in_bulk(add | remove)
            for pk in add | remove:
                granted = pk in add
                is_default = dotted(by_id[pk]) in defaults[name]
                if granted == is_default:
                    # Back to the default: no longer a change of this library's.
                    for change in RoleChange.objects.filter(group=group, permission_id=pk):
                        change.delete()
                else:
                    change, _created = RoleChange.objects.get_or_create(
                        group=group,
                        permission_id=pk,
                        defaults={"granted": granted, "changed_by": actor},
                    )
                    if not _created:
                        change.granted, change.changed_by = granted, actor
                        change.save()
    return changed
