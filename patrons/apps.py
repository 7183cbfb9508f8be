"""The patrons app: the patron's registration (patron, card, block, PIN), the portal's
sign-in and the patron's own pages."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from core.admin_site import Nav


class PatronsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "patrons"
    verbose_name = "Patrons"
    #: Where its models and pages are in the staff navigation.
    navigation = (
        Nav("Patrons", "Patron", 0),
        Nav("Patrons", "SignUp", 5),
        Nav("Patrons", "Card", 10),
        Nav("Patrons", "PatronBlock", 20),
        Nav("Privacy and audit", "patron-access", 30, app_label="auditlog"),
        Nav("Privacy and audit", "staff-access", 40, app_label="auditlog"),
        Nav("Settings", "PatronCategory", 50),
    )

    def ready(self) -> None:
        post_migrate.connect(
            ensure_patron_categories, sender=self, dispatch_uid="patrons-categories"
        )


def ensure_patron_categories(**kwargs) -> None:
    """The categories every library starts with exist (after a migrate, or a flush that
    emptied the table); names edited by the administrator are left as they are."""
    from patrons.models import Patron, PatronCategory  # noqa: PLC0415 (apps.py loads first)

    for code, name in Patron.Category.choices:
        PatronCategory.objects.get_or_create(code=code, defaults={"name": name})
