"""System checks of the project's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, register

CSRF_MIDDLEWARE = {
    "django.middleware.csrf.CsrfViewMiddleware",
    "calumet.middleware.NoReferrerCsrfMiddleware",
}


@register("security", deploy=False)
def csrf_protection_installed(app_configs, **kwargs):
    """Stands in for Django's security.W003 (silenced because it only knows Django's own
    class name): CSRF protection must be in MIDDLEWARE."""
    if CSRF_MIDDLEWARE & set(settings.MIDDLEWARE):
        return []
    return [
        Error(
            "No CSRF middleware is installed.",
            hint="Add calumet.middleware.NoReferrerCsrfMiddleware to MIDDLEWARE.",
            id="calumet.E001",
        )
    ]
