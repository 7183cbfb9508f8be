"""Public pages: no sign-in, nothing about any patron."""

import sys

from django.conf import settings
from django.contrib import admin
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language

from circulation.models import Program, Title
from circulation.selectors import branches_with_hours
from patrons.services import patron_language_set
from privacy.selectors import retention_schedule
from staff import roles


@require_safe
def home(request):
    context = {
        "branches": branches_with_hours(),
        "title_count": Title.objects.count(),
        "upcoming_programs": Program.objects.filter(starts_at__gte=timezone.now())
        .select_related("branch")
        .order_by("starts_at")[:4],
    }
    return render(request, "home.html", context)


@require_POST
def language(request):
    """The language switcher (a form on every public and portal page, no script needed):
    Django's `set_language` keeps the choice in a cookie and returns to the page named in
    `next`; a signed-in patron's choice is also kept on their record, for their notices
    and their next sign-in."""
    response = set_language(request)
    code = request.POST.get("language", "")
    patron = getattr(request, "patron", None)
    if patron is not None and code in dict(settings.LANGUAGES):
        patron_language_set(patron=patron, language=code, actor=patron)
    return response


@require_safe
def privacy(request):
    return render(request, "privacy.html", {"schedule": retention_schedule()})


def _staff_side(request) -> bool:
    return request.path.startswith("/admin/") and getattr(request, "user", None) is not None


def _staff_refusal(request, exception) -> str:
    """What a staff member may not do here and which roles may: the refusal's
    own words when it has them ("You may not …"), else the permission the page needs."""
    said = str(exception or "")
    if said.startswith("You may not"):
        return said
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match is not None and match.namespace == "admin" else ""
    if not url_name:
        return ""
    for page in getattr(admin.site, "_pages", ()):
        if page.url_name == url_name:
            return f"You may not open the page “{page.label}”. {roles.who_may(page.permission)}"
    doing = {
        "changelist": ("view", "open the list of {plural}"),
        "change": ("view", "open {plural}"),
        "history": ("view", "read the history of {plural}"),
        "add": ("add", "add {plural}"),
        "delete": ("delete", "delete {plural}"),
    }
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if url_name.startswith(prefix) and url_name[len(prefix) :] in doing:
            action, words = doing[url_name[len(prefix) :]]
            needed = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
            what = words.format(plural=model._meta.verbose_name_plural)
            return f"You may not {what}. {roles.who_may(needed)}"
    return ""


def permission_denied(request, exception=None):
    """403: on the staff side, in the admin's layout with a way back to the staff home,
    saying which roles may; elsewhere the public site's page."""
    if _staff_side(request) and request.user.is_authenticated:
        context = {
            **admin.site.each_context(request),
            "title": "You may not open this page",
            "refusal": _staff_refusal(request, exception),
        }
        return render(request, "admin/403.html", context, status=403)
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    """404: on the staff side, in the admin's layout; elsewhere the public site's page."""
    if _staff_side(request) and request.user.is_authenticated:
        context = {**admin.site.each_context(request), "title": "Page not found"}
        return render(request, "admin/404.html", context, status=404)
    return render(request, "404.html", status=404)


def server_error(request, *args, **kwargs):
    """500: the site's layout with nothing from the request (which may be what failed): on
    the staff side the staff layout (no user, no navigation), elsewhere the public one. The
    database restarting or out of reach is a 503 that asks to try again."""
    context = {"library_name": settings.CALUMET_LIBRARY_NAME}
    if _database_unavailable():
        # The request's transaction was rolled back and the next request connects again
        # (no restart of the site; make drills).
        response = HttpResponseServerError(loader.get_template("503.html").render(context))
        response.status_code = 503
        response["Retry-After"] = "5"
        return response
    if getattr(request, "path", "").startswith("/admin/"):
        context = {
            "title": "Something went wrong",
            "site_title": admin.site.site_title,
            "site_header": admin.site.site_header,
        }
        return HttpResponseServerError(loader.get_template("admin/500.html").render(context))
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render(context))


def _database_unavailable() -> bool:
    # The broken connection is closed at the end of the request (Django's
    # close_old_connections) and checked before the next one is used (CONN_HEALTH_CHECKS).
    return isinstance(sys.exc_info()[1], (OperationalError, InterfaceError))


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico; the icon is a static file (resolved per request, so
    the manifest of collected static files is read only once they exist)."""
    return redirect(static("favicon.svg"), permanent=True)
