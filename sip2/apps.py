"""The SIP2 server for self-check kiosks, sorters and PC-reservation systems."""

from django.apps import AppConfig


class Sip2Config(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sip2"
    verbose_name = "Self-check (SIP2)"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the settings check)
        from .roles import grant_administrator_permissions

        post_migrate.connect(
            grant_administrator_permissions, sender=self, dispatch_uid="sip2-roles"
        )
