"""The worker's daily circulation jobs, created idempotently after every migrate."""

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from core.schedules import next_local_time

DAILY_JOBS = (
    ("circulation: expire unclaimed holds", "circulation.tasks.expire_unclaimed_holds", "00:15"),
    ("circulation: long overdue loans lost", "circulation.tasks.mark_long_overdue_lost", "00:30"),
    ("circulation: overdue copies counted", "circulation.tasks.count_overdue_items", "23:55"),
    ("circulation: courtesy notices", "circulation.tasks.send_courtesy_notices", "07:05"),
    ("circulation: card expiry notices", "circulation.tasks.send_card_expiry_notices", "07:10"),
    (
        "circulation: overdue notices",
        "circulation.tasks.send_overdue_notices",
        None,  # CALUMET_OVERDUE_NOTICE_TIME
    ),
)


def ensure_schedules(sender=None, **kwargs) -> None:
    for name, func, at in DAILY_JOBS:
        at = at or settings.CALUMET_OVERDUE_NOTICE_TIME
        schedule, created = Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.DAILY, "repeats": -1},
        )
        wanted = next_local_time(at)
        if (
            created
            or schedule.next_run is None
            or timezone.localtime(schedule.next_run).time() != wanted.time()
        ):
            # A changed time setting moves the next run; otherwise it is left alone.
            schedule.next_run = wanted
            schedule.save(update_fields=["next_run"])
    # Hold-ready notices whose task could not be queued (the broker was down).
    Schedule.objects.update_or_create(
        name="circulation: hold-ready notices not sent",
        defaults={
            "func": "circulation.tasks.send_waiting_hold_notices",
            "schedule_type": Schedule.MINUTES,
            "minutes": 10,
            "repeats": -1,
        },
    )
