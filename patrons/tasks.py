"""django-q2 tasks of the patrons app: load, call the service, return a count."""

from . import retention


def nightly_expunge() -> int:
    return retention.expunge(trigger="nightly").total
