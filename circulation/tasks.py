"""django-q2 tasks: load, call the service, return a count."""

from django.conf import settings

from circulation import services
from circulation.notices import jobs as notice_jobs
from circulation.notices import sending as notices
from circulation.schedules import DAILY_JOBS
from core.schedules import keep_local_time


def _on_local_time(func: str) -> None:
    """Each daily job keeps its local time across DST changes (core.schedules)."""
    for name, job, at in DAILY_JOBS:
        if job == func:
            keep_local_time(name, at or settings.CALUMET_OVERDUE_NOTICE_TIME)


def expire_unclaimed_holds() -> int:
    _on_local_time("circulation.tasks.expire_unclaimed_holds")
    return services.hold_expire_unclaimed(actor=None)


def mark_long_overdue_lost() -> int:
    _on_local_time("circulation.tasks.mark_long_overdue_lost")
    return services.mark_long_overdue_lost(actor=None)


def count_overdue_items() -> int:
    _on_local_time("circulation.tasks.count_overdue_items")
    return services.record_overdue_counts()


def send_courtesy_notices() -> int:
    _on_local_time("circulation.tasks.send_courtesy_notices")
    return notice_jobs.send_courtesy_notices()


def send_card_expiry_notices() -> int:
    _on_local_time("circulation.tasks.send_card_expiry_notices")
    return notice_jobs.send_card_expiry_notices()


def send_waiting_hold_notices() -> int:
    return notices.send_waiting_hold_notices()


def send_overdue_notices() -> int:
    _on_local_time("circulation.tasks.send_overdue_notices")
    return notices.send_overdue_notices()
