"""The nightly expunge and the desk-session sweep, scheduled idempotently after every
migrate."""

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from core.schedules import next_local_time

NIGHTLY_EXPUNGE = "patrons: nightly expunge"
SESSION_SWEEP = "patrons: forget idle desk sessions"


def ensure_schedules(sender=None, **kwargs) -> None:
    schedule, created = Schedule.objects.update_or_create(
        name=NIGHTLY_EXPUNGE,
        defaults={
            "func": "privacy.tasks.nightly_expunge",
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
        },
    )
    wanted = next_local_time(settings.CALUMET_EXPUNGE_TIME)
    if (
        created
        or schedule.next_run is None
        or (timezone.localtime(schedule.next_run).time() != wanted.time())
    ):
        # A changed CALUMET_EXPUNGE_TIME moves the next run; otherwise it is left alone.
        schedule.next_run = wanted
        schedule.save(update_fields=["next_run"])
    # A desk a clerk walked away from keeps its patron in the session until a request
    # reads it again; this forgets it in the database within minutes of the idle time.
    Schedule.objects.update_or_create(
        name=SESSION_SWEEP,
        defaults={
            "func": "privacy.tasks.forget_idle_sessions",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
            "repeats": -1,
        },
    )
