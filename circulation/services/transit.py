"""Transit services: send a copy to another branch, receive it there. (The copies in
transit are read with `circulation.selectors.transits_in_progress`.)"""

from __future__ import annotations

import datetime

from django.utils import timezone

from circulation.models import Item
from circulation.models.transit import Transit


def transit_send(
    *, item: Item, from_branch_id: int, to_branch_id: int, reason: str, now: datetime.datetime
) -> Transit:
    """Inside the caller's transaction: the copy leaves for `to_branch_id`."""
    Transit.objects.filter(item=item, received_on__isnull=True).update(
        received_on=timezone.localdate(now)
    )
    item.status = Item.Status.IN_TRANSIT
    item.save(update_fields=["status"])
    return Transit.objects.create(
        item=item,
        from_branch_id=from_branch_id,
        to_branch_id=to_branch_id,
        reason=reason,
        sent_on=timezone.localdate(now),
    )


def transit_receive(*, item: Item, branch_id: int, now: datetime.datetime) -> Transit | None:
    """The copy arrived at `branch_id`: end its open transit there (None if it had none)."""
    transit = Transit.objects.filter(item=item, received_on__isnull=True).first()
    if transit is None or transit.to_branch_id != branch_id:
        return None
    transit.received_on = timezone.localdate(now)
    transit.save(update_fields=["received_on"])
    return transit
