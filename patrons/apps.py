from django.apps import AppConfig


class PatronsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "patrons"
    verbose_name = "Patrons"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import registry
        from .legal_holds import sync_record_kind_names
        from .policy import ensure_retention_policies
        from .schedules import ensure_schedules

        # Like admin.autodiscover(): import <app>.records of every installed app.
        registry.autodiscover()
        post_migrate.connect(ensure_retention_policies, sender=self)
        post_migrate.connect(sync_record_kind_names, sender=self, dispatch_uid="patrons-kinds")
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="patrons-schedules")
