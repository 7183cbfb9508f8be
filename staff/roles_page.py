"""The Roles page (Settings, Roles): for every permission that matters, grouped by area,
which role holds it, as checkboxes the library administrator can change. Saved by
`staff.services.roles_set`; the defaults of `staff/roles.py` are marked, and a change
survives the next `migrate` (see `staff.roles`)."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from core.admin_site import AdminPage
from core.refusals import Refused
from staff import roles
from staff.services import dotted, roles_set

VIEW = "staff.view_rolechange"


def _words(permission: Permission) -> str:
    """ "Can change circulation rule" -> "Change circulation rule"."""
    name = permission.name
    if name.startswith("Can "):
        name = name[4:]
    return name[:1].upper() + name[1:]


def listed_permissions() -> list[Permission]:
    """Every permission some default grants, or some role holds now."""
    names = set(roles.roles()[roles.ORDER[-1]])
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    held = Group.objects.filter(name__in=roles.ORDER).values("permissions")
    return list(
        Permission.objects.filter(query | Q(pk__in=held))
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename")
    )


def _area(permission: Permission) -> str:
    try:
        return str(apps.get_app_config(permission.content_type.app_label).verbose_name)
    except LookupError:
        return permission.content_type.app_label


def table() -> list[dict]:
    """[{"area": ..., "rows": [{"permission", "words", "cells": [{role, held, default}]}]}]"""
    defaults = roles.roles()
    held = {
        name: set(
            Group.objects.get_or_create(name=name)[0].permissions.values_list("pk", flat=True)
        )
        for name in roles.ORDER
    }
    areas: dict[str, list[dict]] = {}
    for permission in listed_permissions():
        name = dotted(permission)
        cells = [
            {
                "role": role,
                "held": permission.pk in held[role],
                "default": name in defaults[role],
                "locked": role == roles.LIBRARY_ADMINISTRATOR
                and name in roles.KEPT_BY_ADMINISTRATOR,
            }
            for role in roles.ORDER
        ]
        areas.setdefault(_area(permission), []).append(
            {
                "permission": permission,
                "words": _words(permission),
                "changed": any(cell["held"] != cell["default"] for cell in cells),
                "cells": cells,
            }
        )
    return [{"area": area, "rows": rows} for area, rows in sorted(areas.items())]


@require_http_methods(["GET", "POST"])
def roles_view(request):
    if not request.user.has_perm(VIEW):
        raise PermissionDenied(f"You may not open the Roles page. {roles.who_may(VIEW)}")
    if request.method == "POST":
        try:
            offered = {int(value) for value in request.POST.getlist("offered")}
            wanted = {role: set() for role in roles.ORDER}
            for value in request.POST.getlist("held"):
                index, _sep, pk = value.partition(":")
                wanted[roles.ORDER[int(index)]].add(int(pk))
        except (ValueError, IndexError):
            messages.error(request, "The form was not understood; nothing was changed.")
            return redirect(request.path)
        try:
            changed = roles_set(wanted=wanted, offered=offered, actor=request.user)
        except (Refused, PermissionDenied) as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                f"Roles saved: {changed} change{'s' if changed != 1 else ''}."
                if changed
                else "Nothing to change.",
            )
        return redirect(request.path)
    context = {
        **admin.site.each_context(request),
        "title": "Roles: who may do what",
        "roles": roles.ORDER,
        "areas": table(),
        "can_change": request.user.has_perm("staff.change_rolechange"),
    }
    return TemplateResponse(request, "admin/staff/roles.html", context)


admin.site.register_page(AdminPage("staff", "roles", "Roles: who may do what", roles_view, VIEW))
