"""The circulation app: catalog, loans, holds, fines, programs, visits, computers."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from core.admin_site import Nav


class CirculationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "circulation"
    verbose_name = "Circulation"
    #: Where its models and pages are in the staff navigation.
    navigation = (
        Nav("Desk", "desk", 0),
        Nav("Desk", "checkout", 10),
        Nav("Desk", "checkin", 20),
        Nav("Desk", "renew", 30),
        Nav("Desk", "hold-shelf", 40),
        Nav("Desk", "payment", 50),
        Nav("Desk", "holds-to-pull", 60),
        Nav("Desk", "in-transit", 70),
        Nav("Desk", "reading-history", 80),
        Nav("Desk", "visits", 90),
        Nav("Desk", "Loan", 100),
        Nav("Desk", "Hold", 110),
        Nav("Desk", "Fine", 120),
        Nav("Desk", "FinePayment", 130),
        Nav("Desk", "Visit", 140),
        Nav("Desk", "ComputerSession", 150),
        Nav("Patrons", "NoticeSent", 30),
        Nav("Patrons", "NoticePreference", 40),
        Nav("Catalog", "Title", 0),
        Nav("Catalog", "Item", 10),
        Nav("Programs", "Program", 0),
        Nav("Programs", "ProgramRegistration", 10),
        Nav("Settings", "Branch", 0),
        Nav("Settings", "BranchClosure", 10),
        Nav("Settings", "closed-days-calendar", 15),
        Nav("Settings", "CirculationRule", 20),
        Nav("Settings", "rules-matrix", 30),
        Nav("Settings", "LibraryPolicy", 40),
        Nav("Settings", "VisitCount", 60),
    )

    def ready(self) -> None:
        from circulation.desk import home  # noqa: F401, PLC0415 (registers the desk home on the admin site)
        from circulation.schedules import ensure_schedules  # noqa: PLC0415 (uses models)

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="circulation-schedules")
