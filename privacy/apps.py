"""The privacy kernel's app: it loads every app's record kinds, keeps the retention
policies, the registry's kind names and the worker's schedules in step after a migrate, and
logs what the admin's autocomplete names."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from core.admin_site import Nav


class PrivacyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = "Privacy"
    #: Where its models are in the staff navigation.
    navigation = (
        Nav("Privacy and audit", "LegalHold", 20),
        Nav("Privacy and audit", "LogEntry", 50, app_label="auditlog"),
        Nav("Privacy and audit", "RetentionPolicy", 60),
        Nav("Privacy and audit", "ExpungeRun", 70),
        Nav("Privacy and audit", "expunge-now", 75),
    )

    def ready(self) -> None:
        # Needed here, not at the top: these modules use models, which exist only now.
        from django.db.models.signals import post_save  # noqa: PLC0415

        from privacy import registry  # noqa: PLC0415
        from privacy.erasures import journal_retention_change  # noqa: PLC0415
        from privacy.legal_holds import sync_record_kind_names  # noqa: PLC0415
        from privacy.models import RetentionPolicy  # noqa: PLC0415
        from privacy.policy import ensure_retention_policies  # noqa: PLC0415
        from privacy.schedules import ensure_schedules  # noqa: PLC0415

        # Like admin.autodiscover(): import <app>.records of every installed app.
        registry.autodiscover()
        _listen_to_autocomplete()
        post_migrate.connect(ensure_retention_policies, sender=self)
        post_migrate.connect(sync_record_kind_names, sender=self, dispatch_uid="patrons-kinds")
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="patrons-schedules")
        post_save.connect(
            journal_retention_change, sender=RetentionPolicy, dispatch_uid="privacy-journal"
        )
        # A database restored from a backup opens only once brought up to date.
        from privacy import checks  # noqa: F401, PLC0415


def _listen_to_autocomplete() -> None:
    """An autocomplete answer names patrons (or their records) from a few typed letters:
    it is logged as a list, like a search result."""
    # Called from ready(): the admin and the audit log use models.
    from django.contrib import admin  # noqa: PLC0415

    from privacy.access import log_access  # noqa: PLC0415

    def listener(request, objects) -> None:
        log_access(objects, request=request, page="admin:autocomplete", access="listed")

    if hasattr(admin.site, "autocomplete_listeners"):
        admin.site.autocomplete_listeners.append(listener)
