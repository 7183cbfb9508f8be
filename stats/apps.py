"""Statistics the library reports, read from the anonymous statistics tables only."""

from django.apps import AppConfig

from core.admin_site import Nav


class StatsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stats"
    verbose_name = "Statistics"
    #: Where its pages are in the staff navigation.
    navigation = (Nav("Statistics", "Statistics", 0), Nav("Statistics", "annual-report", 10))

    def ready(self) -> None:
        from privacy.retention import register_before_run
        from staff.roles import LIBRARIAN, grant
        from stats import views  # noqa: F401  (registers the admin pages)
        from stats.generalise import generalise

        # Before the expunge removes records, no statistics cell may single out fewer
        # than k patrons (stats/generalise.py).
        register_before_run("statistics", generalise)

        # Librarians and library administrators read the statistics and the annual report.
        grant(LIBRARIAN, ["stats.view_statistics"])
