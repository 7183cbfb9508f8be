"""Where a copy goes when it is free (checked in, or let go by a hold): to the next hold in
its title's queue (on this branch's hold shelf, or in transit to the pickup branch), else
back on its shelf at home, or in transit home. Holds, hold targets and loans all use it."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone

from circulation.models import Branch, Hold, Item
from circulation.models.policy import library_policy
from circulation.models.transit import Transit
from circulation.notices.sending import queue_hold_ready_notice
from circulation.services._common import _due_date
from circulation.services.transit import transit_send


def _trap_for_next_hold(item: Item, at_branch_id: int, now: datetime.datetime) -> Hold | None:
    """Give the item to the first patron in the title's queue, if any."""
    hold = (
        Hold.objects.select_for_update()
        .filter(
            Q(suspended_until__isnull=True) | Q(suspended_until__lt=timezone.localdate(now)),
            title_id=item.title_id,
            status=Hold.Status.PLACED,
        )
        .select_related("patron", "pickup_branch")
        .order_by("placed_at", "pk")
        .first()
    )
    if hold is None:
        return None
    if hold.pickup_branch_id == at_branch_id:
        _hold_make_waiting(hold, item, now)
    else:
        hold.status = Hold.Status.IN_TRANSIT
        hold.item = item
        hold.save(update_fields=["status", "item"])
        send_for_hold(item, at_branch_id, hold, now)
    return hold


def send_for_hold(item: Item, from_branch_id: int, hold: Hold, now) -> None:
    transit_send(
        item=item,
        from_branch_id=from_branch_id,
        to_branch_id=hold.pickup_branch_id,
        reason=Transit.Reason.HOLD,
        now=now,
    )


def _hold_make_waiting(hold: Hold, item: Item, now: datetime.datetime) -> None:
    hold.status = Hold.Status.WAITING
    hold.item = item
    hold.pickup_by = _due_date(now, library_policy().hold_pickup_days, hold.pickup_branch_id)
    hold.save(update_fields=["status", "item", "pickup_by"])
    item.status = Item.Status.ON_HOLD_SHELF
    item.save(update_fields=["status"])

    queue_hold_ready_notice(hold_id=hold.pk)


def _release_item(item: Item | None, now: datetime.datetime, *, at: Branch) -> Hold | None:
    """An item leaves the hold shelf (cancelled or expired): next in queue, or the shelf.
    `at` is where the copy sits now (the hold's pickup branch for a waiting hold).

    A copy in transit for the hold is left travelling to the branch it was sent to: it may
    be on the road already, and trapping it here would put it on a hold shelf (or a shelf)
    it is not at, with its transit still open. Checked in where it arrives, it is trapped
    for the next patron or sent home as any other copy."""
    if item is None:
        return None
    item = Item.objects.select_for_update().get(pk=item.pk)
    if item.status != Item.Status.ON_HOLD_SHELF:
        return None
    next_hold = _trap_for_next_hold(item, at.pk, now)
    if next_hold is None:
        shelve_or_send_home(item, at.pk, now)
    return next_hold


def shelve_or_send_home(item: Item, at_branch_id: int, now, result=None) -> None:
    """A copy no hold wants: back on the shelf at home, or in transit home."""
    if at_branch_id != item.branch_id:
        transit = transit_send(
            item=item,
            from_branch_id=at_branch_id,
            to_branch_id=item.branch_id,
            reason=Transit.Reason.HOME,
            now=now,
        )
        if result is not None:
            result.transit = transit
        return
    item.status = Item.Status.AVAILABLE
    item.save(update_fields=["status"])
