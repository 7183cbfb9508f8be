"""Holds: placing, trapping a returned copy for the queue, cancelling, expiring."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation import signals
from circulation.exceptions import CirculationRefused
from circulation.models import Branch, Hold, Item, Loan, Title
from circulation.models.rules import RuleBook
from circulation.services._common import _due_date, _now, _refuse_if_blocked
from patrons.models import Patron
from patrons.services import card_resolve, patron_touch
from privacy.acting import service


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
    from circulation.models.transit import Transit
    from circulation.services.transit import transit_send

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
    hold.pickup_by = _due_date(now, settings.CALUMET_HOLD_PICKUP_DAYS, hold.pickup_branch_id)
    hold.save(update_fields=["status", "item", "pickup_by"])
    item.status = Item.Status.ON_HOLD_SHELF
    item.save(update_fields=["status"])
    from circulation.notices.sending import queue_hold_ready_notice

    queue_hold_ready_notice(hold_id=hold.pk)


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
            raise CirculationRefused(_("This patron has no active card."), code="no_card")
        card_resolve(card_number=card.number, now=now)
        _refuse_if_blocked(patron, now, _("Placing holds"))
        copies = list(
            title.items.exclude(status=Item.Status.WITHDRAWN).values_list("item_type", "branch_id")
        )
        if not copies:
            raise CirculationRefused(
                _("The library has no copy of this title to hold."), code="no_copy"
            )
        book = RuleBook()
        rules = [
            book.find(category=patron.category_id, item_type=item_type, branch_id=branch_id)
            for item_type, branch_id in copies
        ]
        holdable = [rule for rule in rules if rule.holdable]
        if not holdable:
            raise CirculationRefused(
                _(
                    "No copy of this title can be placed on hold (the circulation rules do "
                    "not allow holds on it for this card)."
                ),
                code="not_holdable",
            )
        limit = max(rule.max_holds for rule in holdable)
        if Hold.objects.filter(patron=patron, status__in=Hold.ACTIVE_STATUSES).count() >= limit:
            raise CirculationRefused(
                _("Hold limit reached (%(limit)s holds).") % {"limit": limit}, code="hold_limit"
            )
        if Loan.objects.filter(patron=patron, item__title=title, returned_at__isnull=True).exists():
            raise CirculationRefused(
                _("This title is already checked out to this card."), code="has_it"
            )
        if Hold.objects.filter(
            patron=patron, title=title, status__in=Hold.ACTIVE_STATUSES
        ).exists():
            raise CirculationRefused(
                _("There is already a hold on this title for this card."), code="duplicate"
            )
        try:
            with transaction.atomic():
                hold = Hold.objects.create(
                    title=title, patron=patron, pickup_branch=pickup_branch, placed_at=now
                )
        except IntegrityError:
            raise CirculationRefused(
                _("There is already a hold on this title for this card."), code="duplicate"
            ) from None
        signals.hold_event(branch_id=pickup_branch.pk, event="placed", now=now)
        patron_touch(patron=patron, now=now)
        from circulation.services.hold_targets import hold_target_copy

        hold_target_copy(hold=hold, now=now)
        return hold


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
        from circulation.services.loans import shelve_or_send_home

        shelve_or_send_home(item, at.pk, now)
    return next_hold


@service
def hold_cancel(*, hold: Hold, actor, now: datetime.datetime | None = None) -> Hold:
    now = _now(now)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if hold.status not in Hold.ACTIVE_STATUSES:
            raise CirculationRefused(_("This hold is no longer active."), code="closed")
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
            from circulation.services.hold_targets import target_queued_holds

            target_queued_holds(title_id=hold.title_id, now=now)
            return hold
        _release_item(item, now, at=where or (item.branch if item else hold.pickup_branch))
        return hold


@service
def hold_expire_unclaimed(*, actor=None, now: datetime.datetime | None = None) -> int:
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
