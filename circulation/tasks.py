"""django-q2 tasks: load, call the service, return a count."""

from circulation import services
from circulation.notices import jobs as notice_jobs
from circulation.notices import sending as notices


def expire_unclaimed_holds() -> int:
    return services.hold_expire_unclaimed(actor=None)


def mark_long_overdue_lost() -> int:
    return services.mark_long_overdue_lost(actor=None)


def count_overdue_items() -> int:
    return services.record_overdue_counts()


def send_courtesy_notices() -> int:
    return notice_jobs.send_courtesy_notices()


def send_card_expiry_notices() -> int:
    return notice_jobs.send_card_expiry_notices()


def send_waiting_hold_notices() -> int:
    return notices.send_waiting_hold_notices()


def send_overdue_notices() -> int:
    return notices.send_overdue_notices()
