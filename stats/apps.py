"""Statistics the library reports, read from the anonymous statistics tables only."""

from django.apps import AppConfig


class StatsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stats"
    verbose_name = "Statistics"

    def ready(self) -> None:
        from patrons.roles import LIBRARIAN, grant
        from stats import views  # noqa: F401  (registers the admin pages)

        # Librarians and library administrators read the statistics and the annual report.
        grant(LIBRARIAN, ["stats.view_statistics"])
