"""Times of the worker's schedules."""

import datetime

from django.utils import timezone
from django_q.models import Schedule


def next_local_time(at: str, now: datetime.datetime | None = None) -> datetime.datetime:
    now = timezone.localtime(now or timezone.now())
    hour, minute = (int(part) for part in at.split(":"))
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment <= now:
        moment += datetime.timedelta(days=1)
    return moment


def keep_local_time(name: str, at: str, now: datetime.datetime | None = None) -> None:
    """Put a daily schedule's next run back at its local time `at`.

    django-q2 moves a daily run by 24 hours of UTC and then corrects for a DST change in
    a way that leaves it an hour off for good after the spring change (02:30 becomes
    01:30 every night after). A daily task calls this when it runs: the next run is the
    next `at` on the local clock (03:30 the one night 02:30 does not exist)."""
    Schedule.objects.filter(name=name).update(next_run=next_local_time(at, now))
