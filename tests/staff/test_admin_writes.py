"""No admin page of ours writes a row by itself: every ModelAdmin of our apps is either
read-only (superusers included) or hands its saves and deletes to services, and so does
every inline that can change a row. Patron records are never edited by a raw form."""

import pytest
from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.test import RequestFactory

from privacy.registry import registry
from tests.factories import SuperuserFactory

pytestmark = pytest.mark.django_db

OURS = {
    "calumet",
    "circulation",
    "core",
    "disclosures",
    "patrons",
    "privacy",
    "sip2",
    "staff",
    "stats",
}


def overrides(model_admin, *names: str) -> bool:
    """Whether the admin replaces all of Django's `names` (which would call `save()`)."""
    return all(getattr(type(model_admin), name) is not getattr(ModelAdmin, name) for name in names)


def our_admins():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in OURS:
            yield model, model_admin


def superuser_request():
    request = RequestFactory().get("/")
    request.user = SuperuserFactory()
    return request


def test_every_admin_of_ours_is_read_only_or_writes_through_services():
    request = superuser_request()
    writing = []
    for model, model_admin in our_admins():
        obj = model()
        name = type(model_admin).__name__
        adds = model_admin.has_add_permission(request)
        changes = model_admin.has_change_permission(request, obj)
        # A page of its own for adding (a service's form) never calls save_model.
        own_add_page = overrides(model_admin, "add_view")
        standard_form = changes or (adds and not own_add_page)
        if standard_form and not overrides(model_admin, "save_model"):
            writing.append(f"{name} saves a {model.__name__} without a service")
        if model_admin.has_delete_permission(request, obj) and not overrides(
            model_admin, "delete_model", "delete_queryset"
        ):
            writing.append(f"{name} deletes a {model.__name__} without a service")
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            inline_writes = (
                inline.has_add_permission(request, obj)
                or inline.has_change_permission(request, obj)
                or inline.has_delete_permission(request, obj)
            )
            if standard_form and inline_writes and not overrides(model_admin, "save_formset"):
                writing.append(f"{name}'s {inline_class.__name__} saves without a service")
    assert not writing, "\n".join(writing)


def test_nobody_edits_a_patron_record_by_a_raw_form():
    """A record kind's admin adds and deletes nothing by a raw form, superusers included:
    a change (the patron's page) or a delete (a sign-up discarded) goes through its service."""
    request = superuser_request()
    kinds = {kind.model for kind in registry}
    for model, model_admin in our_admins():
        if model not in kinds:
            continue
        name = type(model_admin).__name__
        obj = model()
        if model_admin.has_delete_permission(request, obj):
            # Only through its service (an online application discarded at the desk).
            assert overrides(model_admin, "delete_model"), name
            assert overrides(model_admin, "delete_queryset"), name
        if model_admin.has_add_permission(request):
            assert overrides(model_admin, "save_model") or overrides(model_admin, "add_view"), name
        if model_admin.has_change_permission(request, obj):
            assert overrides(model_admin, "save_model"), name
