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
        from privacy.retention import register_after_run, register_before_run  # noqa: PLC0415 (uses models)
        from staff.roles import LIBRARIAN, grant  # noqa: PLC0415 (uses models)
        from stats import receivers, views  # noqa: F401, PLC0415  (views: registers the admin pages)
        from stats.counting import after_expunge  # noqa: PLC0415 (uses models)
        from stats.generalise import generalise  # noqa: PLC0415 (uses models)

        # Count what circulation's services signal, in their transaction.
        receivers.connect()
        # After an expunge, the rows from the earliest day it touched are rewritten in
        # key order (stats/counting.py).
        register_after_run("statistics", after_expunge)

        # Before the expunge removes records, no statistics cell may single out fewer
        # than k patrons (stats/generalise.py).
        register_before_run("statistics", generalise)

        # Librarians and library administrators read the statistics and the annual report.
        grant(LIBRARIAN, ["stats.view_statistics"])
