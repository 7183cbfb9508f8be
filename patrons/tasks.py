"""django-q2 tasks of the patrons app: load, call the service, return a count."""

from . import retention


def nightly_expunge() -> int:
    try:
        return retention.expunge(trigger="nightly").total
    except retention.ExpungeBusy:
        return 0  # another worker is running it
