"""The project app: registers the system checks of calumet/checks.py."""

from django.apps import AppConfig


class CalumetConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "calumet"
    verbose_name = "Calumet"

    def ready(self) -> None:
        from calumet import checks  # noqa: F401, PLC0415  (registers the system checks, once loaded)
