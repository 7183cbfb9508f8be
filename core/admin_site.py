"""What an app needs to join the staff site, knowing no app: a task page (`AdminPage`,
registered with `admin.site.register_page()`), a read-only admin for rows the system
writes (`ReadOnlyAdmin`), an admin whose forms save through services (`ServiceAdmin`),
and a place in the staff navigation (`Nav`), declared by the app
in its `AppConfig.navigation` and assembled by `navigation()`."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect

from core.refusals import Refused


@dataclass(frozen=True)
class AdminPage:
    app_label: str
    slug: str
    label: str
    view: Callable
    permission: str
    order: int = 0
    #: Listed on the index and sidebar (False for endpoints that only take a POST).
    listed: bool = True

    @property
    def url_name(self) -> str:
        return f"{self.app_label}_{self.slug.replace('-', '_')}"


class ReadOnlyAdmin:
    """Mixin for a ModelAdmin whose rows the system writes (the audit log, expunge runs,
    daily counts): nobody adds, changes or deletes them here, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdmin:
    """Mixin for a ModelAdmin whose forms write through the owning app's services, never
    `save()`: `services` maps the model, and the model of each inline that can change, to
    its `(save, delete)` services, each called as `save(obj, actor=request.user)`. A
    refusal undoes the whole form (the admin's views run in one transaction) and comes
    back as an error message on the page, never an error page."""

    services: dict[type, tuple[Callable, Callable]] = {}

    def _service(self, model: type, which: int) -> Callable:
        pair = self.services.get(model)
        if pair is None:
            raise PermissionDenied(f"{model._meta.verbose_name_plural} change through services.")
        return pair[which]

    def save_model(self, request, obj, form, change):
        self._service(type(obj), 0)(obj, actor=request.user)

    def delete_model(self, request, obj):
        self._service(type(obj), 1)(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all of them or none
            for obj in queryset:
                self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        saved = formset.save(commit=False)
        for obj in formset.deleted_objects:
            self._service(type(obj), 1)(obj, actor=request.user)
        for obj in saved:
            self._service(type(obj), 0)(obj, actor=request.user)
        formset.save_m2m()

    def _refused(self, request, refusal: Refused):
        messages.error(request, refusal.message)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except Refused as refusal:
            return self._refused(request, refusal)

    def delete_view(self, request, *args, **kwargs):
        try:
            return super().delete_view(request, *args, **kwargs)
        except Refused as refusal:
            return self._refused(request, refusal)

    def changelist_view(self, request, *args, **kwargs):
        try:
            return super().changelist_view(request, *args, **kwargs)
        except Refused as refusal:
            return self._refused(request, refusal)


#: The staff navigation's groups, by task, in their default order. What no app places
#: goes under "Settings".
GROUPS = ("Desk", "Patrons", "Catalog", "Programs", "Statistics", "Privacy and audit", "Settings")


@dataclass(frozen=True)
class Nav:
    """One entry of the staff navigation, declared by the app that owns it.

    `name` is a model's class name or a task page's slug; `app_label` is the app whose
    admin lists it, when that is not the declaring app (Django's users and groups, the
    audit log's pages). Entries of a group are shown by `weight`, then as declared."""

    group: str
    name: str
    weight: int = 0
    app_label: str = ""

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"{self.group!r} is not a navigation group ({', '.join(GROUPS)})")


def navigation(app_configs: Iterable) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(group, ((app label, name), ...)) for every group, from what the apps declare in
    `AppConfig.navigation`, in GROUPS order and by weight within a group."""
    placed: dict[str, list[tuple[int, int, tuple[str, str]]]] = {group: [] for group in GROUPS}
    for config in app_configs:
        for seq, entry in enumerate(getattr(config, "navigation", ())):
            key = (entry.app_label or config.label, entry.name)
            placed[entry.group].append((entry.weight, seq, key))
    return tuple((group, tuple(key for *_rank, key in sorted(placed[group]))) for group in GROUPS)
