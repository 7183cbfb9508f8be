"""django-q2 tasks of the privacy kernel: the nightly expunge, a staff "Run now" and the idle
sessions sweep (each loads, calls the service and returns a count)."""

from django.conf import settings

from core.schedules import keep_local_time
from privacy import retention
from privacy.schedules import NIGHTLY_EXPUNGE
from privacy.sessions import scrub_stale_sessions


def nightly_expunge() -> int:
    keep_local_time(NIGHTLY_EXPUNGE, settings.CALUMET_EXPUNGE_TIME)
    try:
        return retention.expunge(trigger="nightly").total
    except retention.ExpungeBusy:
        return 0  # another worker is running it


def forget_idle_sessions() -> int:
    """Every few minutes: remove desk state past its idle time from stored sessions."""
    return scrub_stale_sessions()


def staff_expunge() -> int:
    """A run asked for on the staff site ("Run now"); skipped when one is running."""
    try:
        return retention.expunge(trigger="staff").total
    except retention.ExpungeBusy:
        return 0
