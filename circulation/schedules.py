"""The worker's daily circulation jobs, created idempotently after every migrate."""

import datetime

from django.conf import settings
from django.utils import timezone

DAILY_JOBS = (
    ("circulation: expire unclaimed holds", "circulation.tasks.expire_unclaimed_holds", "00:15"),
    (
        "circulation: overdue notices",
        "circulation.tasks.send_overdue_notices",
        None,  # CALUMET_OVERDUE_NOTICE_TIME
    ),
)


def next_local_time(at: str, now: datetime.datetime | None = None) -> datetime.datetime:
    """The next moment the local clock shows `at` ("HH:MM")."""
    now = timezone.localtime(now or timezone.now())
    hour, minute = (int(part) for part in at.split(":"))
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment <= now:
        moment += datetime.timedelta(days=1)
    return moment


def ensure_schedules(sender=None, **kwargs) -> None:
    from django_q.models import Schedule

    for name, func, at in DAILY_JOBS:
        at = at or settings.CALUMET_OVERDUE_NOTICE_TIME
        schedule, created = Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.DAILY, "repeats": -1},
        )
        if created or schedule.next_run is None:
            schedule.next_run = next_local_time(at)
            schedule.save(update_fields=["next_run"])
