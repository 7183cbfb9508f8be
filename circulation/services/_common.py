"""Helpers shared by the circulation services: time, locking, refusals, money.

Services take keyword-only arguments, always an `actor` (the staff user, or the patron
for self-service, or None for the system), run in one transaction, and refuse with a
`CirculationRefused` whose message can be shown as it is. Admin pages, portal views,
commands and tasks are thin callers.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Item
from circulation.models.calendar import end_of_open_day
from patrons.models import Patron
from patrons.selectors import blocks_in_force, describe_block

UNAVAILABLE_STATUSES = {
    Item.Status.MISSING: "This item is marked missing. Check it in to mark it found first.",
    Item.Status.LOST: "This item is marked lost. Check it in to mark it found first.",
    Item.Status.WITHDRAWN: "This item has been withdrawn from the collection.",
    Item.Status.DAMAGED: "This item is marked damaged. Check it in to put it back first.",
    Item.Status.IN_TRANSIT: "This item is in transit to another branch. Check it in first.",
}


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _end_of_day(moment: datetime.datetime) -> datetime.datetime:
    """23:59 local time on the day of `moment`: due dates and pickup deadlines."""
    local = timezone.localtime(moment)
    return local.replace(hour=23, minute=59, second=0, microsecond=0)


def _due_date(now: datetime.datetime, days: int, branch_id: int | None) -> datetime.datetime:
    """23:59 local time, `days` after `now`, moved to the branch's next open day."""
    return end_of_open_day(start=now, days=days, branch_id=branch_id)


def _staff(actor) -> object | None:
    return actor if getattr(actor, "is_staff", False) else None


def _item_locked(barcode: str) -> Item:
    code = (barcode or "").strip()
    item = Item.objects.select_for_update().filter(barcode=code).first()
    if item is None:
        raise CirculationRefused(CirculationRefusal.UNKNOWN_ITEM)
    return item


def _refuse_if_blocked(patron: Patron, now: datetime.datetime, action: str) -> None:
    blocks = blocks_in_force(patron=patron, now=now)
    if blocks:
        raise CirculationRefusal.BLOCKED.refuse(action=action, block=describe_block(blocks[0]))


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip().lstrip("$")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise CirculationRefused(CirculationRefusal.AMOUNT) from None
    if not amount.is_finite():
        raise CirculationRefused(CirculationRefusal.AMOUNT)
    return amount
