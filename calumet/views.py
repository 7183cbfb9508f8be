"""Public pages: no sign-in, nothing about any patron."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from circulation.models import Branch, Program, Title
from patrons.selectors import retention_schedule


@require_safe
def home(request):
    from django.utils import timezone

    context = {
        "branches": Branch.objects.order_by("name"),
        "title_count": Title.objects.count(),
        "upcoming_programs": Program.objects.filter(starts_at__gte=timezone.now())
        .select_related("branch")
        .order_by("starts_at")[:4],
    }
    return render(request, "home.html", context)


@require_safe
def privacy(request):
    return render(request, "privacy.html", {"schedule": retention_schedule()})


def server_error(request, *args, **kwargs):
    """500: the site's layout with nothing from the request (which may be what failed)."""
    from django.conf import settings
    from django.http import HttpResponseServerError
    from django.template import loader

    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"library_name": settings.CALUMET_LIBRARY_NAME}))


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico; the icon is a static file (resolved per request, so
    the manifest of collected static files is read only once they exist)."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("favicon.svg"), permanent=True)
