"""The staff site: Django's admin, plus task pages (the circulation desk, reports) that
apps register with `site.register_page()`. A page is listed at the top of its app's
section on the index and in the sidebar, for staff who hold its permission."""

import copy
import functools
from functools import update_wrapper

from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse

from core.admin_site import AdminPage, navigation
from core.groups import group_names
from staff import second_factor as staff_2fa

#: The order of the groups for each staff role (a staff group's name), the first role a
#: staff member holds deciding: the clerk's day starts at the desk, the librarian's in the
#: catalog, the library administrator's with privacy and audit. Others (and superusers)
#: get the administrator's order; a group not named comes last.
ROLE_ORDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Library administrator",
        ("Privacy and audit", "Patrons", "Desk", "Catalog", "Programs", "Statistics", "Settings"),
    ),
    (
        "Librarian",
        ("Catalog", "Desk", "Patrons", "Programs", "Statistics", "Privacy and audit", "Settings"),
    ),
    (
        "Circulation staff",
        ("Desk", "Patrons", "Catalog", "Programs", "Statistics", "Privacy and audit", "Settings"),
    ),
)
#: Staff whose only role is this group start at the desk home, not the index.
DESK_ROLE = "Circulation staff"
DESK_HOME = "admin:circulation_desk"


#: Navigation already built, by app, permissions and roles (see get_app_list).
_APP_LISTS: dict = {}


def order_for(user) -> tuple[str, ...]:
    """The order of the navigation's groups for this staff member's role."""
    roles = group_names(user)
    if not user.is_superuser:
        for role, order in ROLE_ORDERS:
            if role in roles:
                return order
    return ROLE_ORDERS[0][1]


@functools.cache
def site_navigation() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The navigation every app declares in its `AppConfig.navigation`, put together."""
    return navigation(apps.get_app_configs())


def group_by_task(app_list: list[dict], order: tuple[str, ...] = ()) -> list[dict]:
    """Django's per-app list regrouped by task (the apps' navigation), keeping only what
    it held, the groups in `order` (the rest after them, in the navigation's order)."""
    entries = {}
    for app in app_list:
        for model in app["models"]:
            entries[(app["app_label"], model["object_name"])] = (app, model)
    groups = []
    placed = set()
    for name, members in site_navigation():
        models = [entries[key][1] for key in members if key in entries]
        placed.update(key for key in members if key in entries)
        if name == "Settings":
            models += [model for key, (_a, model) in entries.items() if key not in placed]
        if models:
            groups.append(
                {
                    "name": name,
                    "app_label": name.lower().replace(" ", "_"),
                    "app_url": models[0]["admin_url"],
                    "has_module_perms": True,
                    "models": models,
                }
            )
    rank = {name: place for place, name in enumerate(order)}
    return sorted(groups, key=lambda group: rank.get(group["name"], len(rank)))


class _ListenedAutocomplete(AutocompleteJsonView):
    """Django's autocomplete answer, telling the site's listeners which objects it named."""

    def get(self, request, *args, **kwargs):
        self._named = []
        response = super().get(request, *args, **kwargs)
        if response.status_code == 200 and self._named:
            for listener in self.admin_site.autocomplete_listeners:
                listener(request, self._named)
        return response

    def serialize_result(self, obj, to_field_name):
        self._named.append(obj)
        result = super().serialize_result(obj, to_field_name)
        # A patron is chosen by name and masked card, never "Patron #12" (its `__str__`).
        label = getattr(obj, "card_label", None)
        if label:
            name = getattr(obj, "full_name", "")
            result["text"] = f"{name}, {label}" if name else label
        return result


def _check_action_parameters(request, model) -> None:
    """An action's POST names rows by primary key (`_selected_action`) and the form it
    came from by number (`index`). Django's admin turns a malformed one into a 500 (the
    query or `int()` fails); it is the sender's mistake, so it is a 400 that changes
    nothing. The value is not repeated in the message."""
    post = request.POST
    if "index" in post:
        try:
            int(post["index"])
        except ValueError:
            raise BadRequest("The action's form number is not a number.") from None
    field = model._meta.pk
    for value in post.getlist(helpers.ACTION_CHECKBOX_NAME):
        try:
            field.to_python(value)
        except ValidationError:
            raise BadRequest(f"A selected row is not a valid {field.verbose_name}.") from None


class CalumetAdminSite(admin.AdminSite):
    site_header = "Calumet staff"
    site_title = "Calumet staff"
    index_title = "Library administration"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[AdminPage] = []
        #: (request, objects) -> None, called with the objects an autocomplete answer
        #: names (the patron records' app logs them as listed).
        self.autocomplete_listeners: list = []

    def app_index(self, request, app_label, extra_context=None):
        """An app this role may not open is forbidden (403), like any other page it may
        not open, not "not found"."""
        known = any(m._meta.app_label == app_label for m in self._registry)
        if known and not self.get_app_list(request, app_label):
            raise PermissionDenied
        return super().app_index(request, app_label, extra_context)

    def index(self, request, extra_context=None):
        """Circulation staff (that role and no other) start their day at the desk home."""
        user = request.user
        if not user.is_superuser and list(user.groups.values_list("name", flat=True)) == [
            DESK_ROLE
        ]:
            try:
                return redirect(reverse(DESK_HOME, current_app=self.name))
            except NoReverseMatch:
                pass
        return super().index(request, extra_context)

    def admin_view(self, view, cacheable=False):
        """Every admin page; a changelist's action checks its parameters first (after
        the sign-in and permission checks of Django's wrapper)."""
        model_admin = getattr(view, "__self__", None)
        if getattr(view, "__name__", "") == "changelist_view" and model_admin is not None:
            changelist_view = view

            def view(request, *args, **kwargs):
                if request.method == "POST":
                    _check_action_parameters(request, model_admin.model)
                return changelist_view(request, *args, **kwargs)

            update_wrapper(view, changelist_view)
        return super().admin_view(view, cacheable)

    def autocomplete_view(self, request):
        return _ListenedAutocomplete.as_view(admin_site=self)(request)

    def register_page(self, page: AdminPage) -> AdminPage:
        if any(p.url_name == page.url_name for p in self._pages):
            return page
        self._pages.append(page)
        return page

    def has_permission(self, request):
        """Staff, and, when the second factor is required, verified with it."""
        if not super().has_permission(request):
            return False
        return not staff_2fa.required() or staff_2fa.is_verified(request.user)

    def login(self, request, extra_context=None):
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and user.is_staff
            and staff_2fa.required()
            and not staff_2fa.is_verified(user)
        ):
            # The password was right: now the second factor (or its set-up).
            query = request.GET.urlencode()
            return redirect(reverse("admin:staff_2fa_verify") + (f"?{query}" if query else ""))
        return super().login(request, extra_context)

    def get_urls(self):
        pages = [
            path("2fa/", staff_2fa.verify_view, name="staff_2fa_verify"),
            path("2fa/setup/", staff_2fa.setup_view, name="staff_2fa_setup"),
        ] + [
            path(
                f"{page.app_label}/{page.slug}/",
                self.admin_view(page.view),
                name=page.url_name,
            )
            for page in self._pages
        ]
        return pages + super().get_urls()

    def get_app_list(self, request, app_label=None):
        """The navigation for this staff member. It depends on their permissions and
        roles only, so it is built once per set of them and process, not at every page
        (some 80 permission checks and 40 URLs each time; the desk's scans felt it). A
        change of permissions or roles is a new key, so it shows at the next page."""
        user = request.user
        key = (
            app_label,
            user.is_superuser,
            frozenset(user.get_all_permissions()),
            group_names(user),
        )
        if app_label is None:
            request._calumet_nav_key = key  # the sidebar's too (calumet/templatetags)
        app_list = _APP_LISTS.get(key)
        if app_list is None:
            if len(_APP_LISTS) > 500:
                _APP_LISTS.clear()
            app_list = _APP_LISTS[key] = self._app_list(request, app_label)
        return copy.deepcopy(app_list)

    def _app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        by_label = {app["app_label"]: app for app in app_list}
        for page in sorted(self._pages, key=lambda p: p.order):
            if not page.listed or not request.user.has_perm(page.permission):
                continue
            if app_label and page.app_label != app_label:
                continue
            entry = {
                "name": page.label,
                "object_name": page.slug,
                "perms": {"view": True},
                "admin_url": reverse(f"admin:{page.url_name}", current_app=self.name),
                "add_url": None,
                "view_only": True,
                "is_page": True,
            }
            app = by_label.get(page.app_label)
            if app is not None:
                app["models"].insert(0, entry)
        if app_label is None:
            return group_by_task(app_list, order_for(request.user))
        return app_list
