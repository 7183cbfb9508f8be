"""What circulation's services tell the rest of the site when something happens: a
check-out, a renewal, a return, a hold placed, filled, cancelled or expired, a charge
made, paid or waived, a visit, a computer session, the night's count of overdue copies.

Circulation sits below the statistics (`stats`), so it never calls them: the services
send these signals inside their own transaction, and the statistics receive them
(`stats/receivers.py`) and count, in the same transaction, so an event and its count
commit or roll back together. Each signal carries only what the statistics keep (the
day, the branch, the item type, the patron category, the title, the charge reason),
never a patron, a staff member or a record. The functions below are what the services
call: they send the signal (and keep the counts circulation owns, such as a copy's).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, F
from django.dispatch import Signal
from django.utils import timezone

from circulation.models import Item, Loan, Program
from core.db import in_values

#: item, branch_id, patron_category, now
checked_out = Signal()
renewed = Signal()
returned = Signal()
#: branch_id, event ("placed", "filled", "cancelled", "expired"), now, placed_at
hold_changed = Signal()
#: reason, now, charged, paid, waived (amounts; zero when not part of the event)
charge_changed = Signal()
#: branch_id, started_at, ended_at
computer_used = Signal()
#: branch_id, now, count (one card scan, or a door counter's total for the day)
visited = Signal()
#: day, counts ({branch id: copies overdue})
overdue_counted = Signal()


def checkout(
    *, item: Item, branch_id: int, patron_category: str, now, item_counted: bool = False
) -> None:
    """`item_counted`: the caller has added one to the copy's own count already (with
    the update of its status, in one statement)."""
    if not item_counted:
        Item.objects.filter(pk=item.pk).update(circulation_count=F("circulation_count") + 1)
    checked_out.send(
        sender=Loan, item=item, branch_id=branch_id, patron_category=patron_category, now=now
    )


def renewal(*, item: Item, branch_id: int, patron_category: str, now) -> None:
    renewed.send(
        sender=Loan, item=item, branch_id=branch_id, patron_category=patron_category, now=now
    )


def checkin(*, item: Item, branch_id: int, patron_category: str, now) -> None:
    returned.send(
        sender=Loan, item=item, branch_id=branch_id, patron_category=patron_category, now=now
    )


def hold_event(*, branch_id: int, event: str, now, placed_at=None) -> None:
    hold_changed.send(sender=None, branch_id=branch_id, event=event, now=now, placed_at=placed_at)


def charge(*, reason: str, now, charged: Decimal = Decimal(0), paid=Decimal(0), waived=Decimal(0)):
    charge_changed.send(
        sender=None, reason=reason, now=now, charged=charged, paid=paid, waived=waived
    )


def computer_use(*, branch_id: int, started_at, ended_at) -> None:
    computer_used.send(sender=None, branch_id=branch_id, started_at=started_at, ended_at=ended_at)


def visit(*, branch_id: int, now, count: int = 1) -> None:
    visited.send(sender=None, branch_id=branch_id, now=now, count=count)


def overdue_count(*, now: datetime.datetime) -> int:
    """Count the copies overdue at `now` per branch that owns them (the loans are only
    counted, never named) and send the counts. Returns the number of branches with
    overdue copies."""
    counts = dict(
        Loan.objects.filter(returned_at__isnull=True, due_at__lt=now)
        .values("item__branch_id")
        .annotate(n=Count("pk"))
        .values_list("item__branch_id", "n")
    )
    overdue_counted.send(sender=None, day=timezone.localdate(now), counts=counts)
    return len(counts)


def stamp_touched(touched, now) -> None:
    """After an expunge: stamp the copies and programs the removed records pointed at
    with this transaction, so that no row kept says (by its PostgreSQL transaction id)
    that it changed together with a record that is gone."""

    items = touched.refs.get("item", set())
    if items:
        Item.objects.filter(pk__in=in_values(items)).update(
            circulation_count=F("circulation_count")
        )
    programs = touched.refs.get("program", set())
    if programs:
        Program.objects.filter(pk__in=in_values(programs)).update(
            attendance_count=F("attendance_count")
        )
