"""Holds that find copies: a placed hold targets a copy on a shelf now (preferring the
pickup branch), which appears on that copy's branch's holds-to-pull list; pulling it puts
it on the hold shelf or in transit to the pickup branch. Patrons suspend a hold until a
date (it keeps its place in the queue but is passed over until then)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Branch, Hold, Item
from circulation.models.rules import RuleBook
from circulation.selectors import not_suspended
from circulation.services._common import _now
from circulation.services.shelving import _hold_make_waiting, send_for_hold
from privacy.acting import service

#: Longest suspension a patron can choose.
MAX_SUSPEND_DAYS = 365


def hold_target_copy(*, hold: Hold, now: datetime.datetime | None = None) -> Item | None:
    """Point a placed hold at an available, holdable copy no other hold has taken, at the
    pickup branch when there is one. Called inside the caller's transaction."""
    now = _now(now)
    if (
        hold.status != Hold.Status.PLACED
        or not Hold.objects.filter(not_suspended(now), pk=hold.pk).exists()
    ):
        return None
    taken = Hold.objects.filter(status=Hold.Status.PLACED, item__isnull=False).exclude(pk=hold.pk)
    copies = (
        Item.objects.filter(title_id=hold.title_id, status=Item.Status.AVAILABLE)
        .exclude(pk__in=taken.values("item_id"))
        .order_by("pk")
    )
    book = RuleBook()
    category = hold.patron.category_id
    best = None
    for copy in copies:
        if not book.find(
            category=category, item_type=copy.item_type, branch_id=copy.branch_id
        ).holdable:
            continue
        if copy.branch_id == hold.pickup_branch_id:
            best = copy
            break
        best = best or copy
    if (best.pk if best else None) != hold.item_id:
        hold.item = best
        hold.save(update_fields=["item"])
    return best


def retarget_holds_on(*, item: Item, now: datetime.datetime) -> None:
    """The copy a placed hold targeted left the shelf (checked out, lost): find another."""
    for hold in Hold.objects.select_related("patron").filter(item=item, status=Hold.Status.PLACED):
        hold.item = None
        hold.save(update_fields=["item"])
        hold_target_copy(hold=hold, now=now)


def target_queued_holds(*, title_id: int, now: datetime.datetime) -> None:
    """A copy of the title was freed on its shelf (the hold pointing at it was cancelled or
    filled with another copy): holds in the queue that point at no copy, first placed first,
    look again, so that the freed copy appears on a pull list."""
    queued = (
        Hold.objects.select_related("patron")
        .filter(not_suspended(now), title_id=title_id, status=Hold.Status.PLACED, item=None)
        .order_by("placed_at", "pk")
    )
    for hold in queued:
        if hold_target_copy(hold=hold, now=now) is None:
            return


@service
def hold_pull(
    *, hold: Hold, barcode: str, actor, branch: Branch, now: datetime.datetime | None = None
) -> Hold:
    """Staff took the copy from the shelf: on the hold shelf here when this is the pickup
    branch, else in transit to it."""
    now = _now(now)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().select_related("pickup_branch").get(pk=hold.pk)
        if hold.status != Hold.Status.PLACED or hold.item_id is None:
            raise CirculationRefused(CirculationRefusal.NOT_PLACED)
        item = Item.objects.select_for_update().get(pk=hold.item_id)
        if item.barcode != (barcode or "").strip():
            raise CirculationRefused(CirculationRefusal.WRONG_COPY)
        if item.status != Item.Status.AVAILABLE:
            raise CirculationRefused(CirculationRefusal.UNAVAILABLE)
        if hold.pickup_branch_id == branch.pk:
            _hold_make_waiting(hold, item, now)
        else:
            hold.status = Hold.Status.IN_TRANSIT
            hold.save(update_fields=["status"])
            send_for_hold(item, branch.pk, hold, now)
        return hold


@service
def hold_suspend(
    *, hold: Hold, until: datetime.date | None, actor, now: datetime.datetime | None = None
) -> Hold:
    """Suspend a placed hold until a date (None resumes it now). It keeps its place."""
    now = _now(now)
    today = timezone.localdate(now)
    if until is not None and not today < until <= today + datetime.timedelta(MAX_SUSPEND_DAYS):
        raise CirculationRefusal.UNTIL.refuse(days=MAX_SUSPEND_DAYS)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().select_related("patron").get(pk=hold.pk)
        if hold.status != Hold.Status.PLACED:
            raise CirculationRefused(
                _("Only a hold still waiting in the queue can be suspended."),
                code=CirculationRefusal.NOT_PLACED,
            )
        hold.suspended_until = until
        fields = ["suspended_until"]
        if until is not None:
            hold.item = None
            fields.append("item")
        hold.save(update_fields=fields)
        if until is None:
            hold_target_copy(hold=hold, now=now)
        return hold
