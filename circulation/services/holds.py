"""Holds: placing, trapping a returned copy for the queue, cancelling, expiring."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from circulation import signals
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Branch, Hold, Item, Loan, Title
from circulation.models.rules import RuleBook
from circulation.services._common import _now, _refuse_if_blocked
from circulation.services.hold_targets import hold_target_copy, target_queued_holds
from circulation.services.shelving import _release_item
from patrons.models import Patron
from patrons.selectors import card_resolve
from patrons.services import patron_touch
from privacy.acting import service


@service
def hold_place(
    *,
    patron: Patron,
    title: Title,
    pickup_branch: Branch,
    actor,
    now: datetime.datetime | None = None,
) -> Hold:
    now = _now(now)
    with transaction.atomic():
        card = patron.active_card
        if card is None:
            raise CirculationRefused(CirculationRefusal.NO_CARD)
        card_resolve(card_number=card.number, now=now)
        _refuse_if_blocked(patron, now, _("Placing holds"))
        copies = list(
            title.items.exclude(status=Item.Status.WITHDRAWN).values_list("item_type", "branch_id")
        )
        if not copies:
            raise CirculationRefused(CirculationRefusal.NO_COPY)
        book = RuleBook()
        rules = [
            book.find(category=patron.category_id, item_type=item_type, branch_id=branch_id)
            for item_type, branch_id in copies
        ]
        holdable = [rule for rule in rules if rule.holdable]
        if not holdable:
            raise CirculationRefused(CirculationRefusal.NOT_HOLDABLE)
        limit = max(rule.max_holds for rule in holdable)
        if Hold.objects.filter(patron=patron, status__in=Hold.ACTIVE_STATUSES).count() >= limit:
            raise CirculationRefusal.HOLD_LIMIT.refuse(limit=limit)
        if Loan.objects.filter(patron=patron, item__title=title, returned_at__isnull=True).exists():
            raise CirculationRefused(CirculationRefusal.HAS_IT)
        if Hold.objects.filter(
            patron=patron, title=title, status__in=Hold.ACTIVE_STATUSES
        ).exists():
            raise CirculationRefused(CirculationRefusal.DUPLICATE)
        try:
            with transaction.atomic():
                hold = Hold.objects.create(
                    title=title, patron=patron, pickup_branch=pickup_branch, placed_at=now
                )
        except IntegrityError:
            raise CirculationRefused(CirculationRefusal.DUPLICATE) from None
        signals.hold_event(branch_id=pickup_branch.pk, event="placed", now=now)
        patron_touch(patron=patron, now=now)

        hold_target_copy(hold=hold, now=now)
        return hold


@service
def hold_cancel(*, hold: Hold, actor, now: datetime.datetime | None = None) -> Hold:
    now = _now(now)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if hold.status not in Hold.ACTIVE_STATUSES:
            raise CirculationRefused(CirculationRefusal.CLOSED)
        item = hold.item
        # A waiting copy is on the pickup branch's shelf; one in transit travels on.
        where = hold.pickup_branch if hold.status == Hold.Status.WAITING else None
        was_placed = hold.status == Hold.Status.PLACED
        hold.status = Hold.Status.CANCELLED
        hold.closed_at = now
        hold.item = None
        hold.pickup_by = None
        hold.save(update_fields=["status", "closed_at", "item", "pickup_by"])
        signals.hold_event(branch_id=hold.pickup_branch_id, event="cancelled", now=now)
        if was_placed and item is not None:
            # The copy it pointed at never left its shelf: the next hold in the queue pulls it.

            target_queued_holds(title_id=hold.title_id, now=now)
            return hold
        _release_item(item, now, at=where or (item.branch if item else hold.pickup_branch))
        return hold


@service
def hold_expire_unclaimed(*, actor, now: datetime.datetime | None = None) -> int:
    """Close holds whose pickup deadline has passed; their items go to the next patron."""
    now = _now(now)
    expired = 0
    for hold_id in Hold.objects.filter(status=Hold.Status.WAITING, pickup_by__lt=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            hold = (
                Hold.objects.select_for_update()
                .filter(pk=hold_id, status=Hold.Status.WAITING, pickup_by__lt=now)
                .first()
            )
            if hold is None:
                continue
            item = hold.item
            hold.status = Hold.Status.EXPIRED
            hold.closed_at = now
            hold.item = None
            hold.pickup_by = None
            hold.save(update_fields=["status", "closed_at", "item", "pickup_by"])
            signals.hold_event(branch_id=hold.pickup_branch_id, event="expired", now=now)
            _release_item(item, now, at=hold.pickup_branch)  # it sits on that hold shelf
            expired += 1
    return expired
