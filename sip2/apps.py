"""The SIP2 server for self-check kiosks, sorters and PC-reservation systems."""

from django.apps import AppConfig


class Sip2Config(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sip2"
    verbose_name = "Self-check (SIP2)"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings check)
