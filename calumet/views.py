"""Public pages: no sign-in, nothing about any patron."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from circulation.models import Program, Title
from circulation.selectors import branches_with_hours
from privacy.selectors import retention_schedule


@require_safe
def home(request):
    from django.utils import timezone

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
    from django.views.i18n import set_language

    from patrons.services import patron_language_set

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


def permission_denied(request, exception=None):
    """403: on the staff side, in the admin's layout with a way back to the staff home;
    elsewhere the public site's page."""
    if _staff_side(request) and request.user.is_authenticated:
        from django.contrib import admin

        context = {**admin.site.each_context(request), "title": "You may not open this page"}
        return render(request, "admin/403.html", context, status=403)
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    """404: on the staff side, in the admin's layout; elsewhere the public site's page."""
    if _staff_side(request) and request.user.is_authenticated:
        from django.contrib import admin

        context = {**admin.site.each_context(request), "title": "Page not found"}
        return render(request, "admin/404.html", context, status=404)
    return render(request, "404.html", status=404)


def server_error(request, *args, **kwargs):
    """500: the site's layout with nothing from the request (which may be what failed)."""
    from django.conf import settings
    from django.http import HttpResponseServerError
    from django.template import loader

    context = {"library_name": settings.CALUMET_LIBRARY_NAME}
    if _database_unavailable():
        # The database restarting or out of reach: the request's transaction was rolled
        # back and the next request connects again (no restart of the site; make drills).
        response = HttpResponseServerError(loader.get_template("503.html").render(context))
        response.status_code = 503
        response["Retry-After"] = "5"
        return response
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render(context))


def _database_unavailable() -> bool:
    import sys

    from django.db.utils import InterfaceError, OperationalError

    # The broken connection is closed at the end of the request (Django's
    # close_old_connections) and checked before the next one is used (CONN_HEALTH_CHECKS).
    return isinstance(sys.exc_info()[1], (OperationalError, InterfaceError))


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico; the icon is a static file (resolved per request, so
    the manifest of collected static files is read only once they exist)."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("favicon.svg"), permanent=True)
