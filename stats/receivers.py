"""The statistics count what circulation's services tell (`circulation/signals.py`), in
the service's own transaction (signals are sent and received synchronously)."""

from __future__ import annotations

from circulation import signals
from stats import counting


def _checked_out(sender, *, item, branch_id, patron_category, now, **kwargs) -> None:
    counting.checkout(item=item, branch_id=branch_id, patron_category=patron_category, now=now)


def _renewed(sender, *, item, branch_id, patron_category, now, **kwargs) -> None:
    counting.renewal(item=item, branch_id=branch_id, patron_category=patron_category, now=now)


def _returned(sender, *, item, branch_id, patron_category, now, **kwargs) -> None:
    counting.checkin(item=item, branch_id=branch_id, patron_category=patron_category, now=now)


def _hold_changed(sender, *, branch_id, event, now, placed_at=None, **kwargs) -> None:
    counting.hold_event(branch_id=branch_id, event=event, now=now, placed_at=placed_at)


def _charge_changed(sender, *, reason, now, charged, paid, waived, **kwargs) -> None:
    counting.charge(reason=reason, now=now, charged=charged, paid=paid, waived=waived)


def _computer_used(sender, *, branch_id, started_at, ended_at, **kwargs) -> None:
    counting.computer_use(branch_id=branch_id, started_at=started_at, ended_at=ended_at)


def _visited(sender, *, branch_id, now, count, **kwargs) -> None:
    counting.visit(branch_id=branch_id, now=now, count=count)


def _overdue_counted(sender, *, day, counts, **kwargs) -> None:
    counting.overdue_counted(day=day, counts=counts)


RECEIVERS = (
    (signals.checked_out, _checked_out),
    (signals.renewed, _renewed),
    (signals.returned, _returned),
    (signals.hold_changed, _hold_changed),
    (signals.charge_changed, _charge_changed),
    (signals.computer_used, _computer_used),
    (signals.visited, _visited),
    (signals.overdue_counted, _overdue_counted),
)


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"stats.{receiver.__name__}")
