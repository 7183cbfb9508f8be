"""The circulation app: catalog, loans, holds, fines, programs, visits, computers."""

from django.apps import AppConfig


class CirculationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "circulation"
    verbose_name = "Circulation"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from circulation import desk_home  # noqa: F401 (registers the desk home on the admin site)
        from circulation.schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="circulation-schedules")
