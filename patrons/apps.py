"""The patrons app: registrations, cards, the record registry, retention and the audit trail."""

from django.apps import AppConfig

from core.admin_site import Nav


class PatronsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "patrons"
    verbose_name = "Patrons"
    #: Where its models and pages are in the staff navigation.
    navigation = (
        Nav("Patrons", "Patron", 0),
        Nav("Patrons", "Card", 10),
        Nav("Patrons", "PatronBlock", 20),
        Nav("Privacy and audit", "LegalHold", 20),
        Nav("Privacy and audit", "patron-access", 30, app_label="auditlog"),
        Nav("Privacy and audit", "staff-access", 40, app_label="auditlog"),
        Nav("Privacy and audit", "LogEntry", 50, app_label="auditlog"),
        Nav("Privacy and audit", "RetentionPolicy", 60),
        Nav("Privacy and audit", "ExpungeRun", 70),
        Nav("Settings", "PatronCategory", 50),
    )

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from patrons import registry
        from patrons.legal_holds import sync_record_kind_names
        from patrons.policy import ensure_retention_policies
        from patrons.schedules import ensure_schedules

        # Like admin.autodiscover(): import <app>.records of every installed app.
        registry.autodiscover()
        _listen_to_autocomplete()
        post_migrate.connect(ensure_retention_policies, sender=self)
        post_migrate.connect(sync_record_kind_names, sender=self, dispatch_uid="patrons-kinds")
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="patrons-schedules")
        post_migrate.connect(
            ensure_patron_categories, sender=self, dispatch_uid="patrons-categories"
        )


def ensure_patron_categories(**kwargs) -> None:
    """The categories every library starts with exist (after a migrate, or a flush that
    emptied the table); names edited by the administrator are left as they are."""
    from patrons.models import Patron, PatronCategory

    for code, name in Patron.Category.choices:
        PatronCategory.objects.get_or_create(code=code, defaults={"name": name})


def _listen_to_autocomplete() -> None:
    """An autocomplete answer names patrons (or their records) from a few typed letters:
    it is logged as a list, like a search result."""
    from django.contrib import admin

    from patrons.access import log_access

    def listener(request, objects) -> None:
        log_access(objects, request=request, page="admin:autocomplete", access="listed")

    if hasattr(admin.site, "autocomplete_listeners"):
        admin.site.autocomplete_listeners.append(listener)
