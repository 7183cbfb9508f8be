"""Fines: payments and waivers."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from patrons.acting import service
from patrons.services import patron_touch

from .. import counting
from ..exceptions import CirculationRefused
from ..models import Fine
from ._common import _money, _now


@service
def fine_pay(*, fine: Fine, amount, actor, now: datetime.datetime | None = None) -> Fine:
    """Take a payment (partial payments allowed; more than the balance is refused)."""
    now = _now(now)
    amount = _money(amount)
    with transaction.atomic():
        fine = Fine.objects.select_for_update().get(pk=fine.pk)
        if fine.settled_at is not None:
            raise CirculationRefused("This fine is already settled.", code="settled")
        if amount <= 0:
            raise CirculationRefused("A payment must be more than $0.00.", code="amount")
        if amount > fine.balance:
            raise CirculationRefused(
                f"That is more than the balance of ${fine.balance}: overpayment refused.",
                code="overpayment",
            )
        fine.amount_paid += amount
        fields = ["amount_paid"]
        if fine.amount_paid == fine.amount:
            fine.settled_at = now
            fields.append("settled_at")
        fine.save(update_fields=fields)
        counting.charge(reason=fine.reason, now=now, paid=amount)
        if fine.patron_id:
            patron_touch(patron=fine.patron, now=now)
        return fine


@service
def fine_waive(*, fine: Fine, reason: str, actor, now: datetime.datetime | None = None) -> Fine:
    """Forgive the rest of a fine. Librarians and administrators only; a reason is required."""
    now = _now(now)
    if actor is None or not actor.has_perm("circulation.waive_fine"):
        raise PermissionDenied("Only librarians can waive fines.")
    reason = (reason or "").strip()
    if not reason:
        raise CirculationRefused("Give a reason for waiving the fine.", code="reason")
    if len(reason) > 200:
        raise CirculationRefused("Keep the reason under 200 characters.", code="reason")
    with transaction.atomic():
        fine = Fine.objects.select_for_update().get(pk=fine.pk)
        if fine.settled_at is not None:
            raise CirculationRefused("This fine is already settled.", code="settled")
        counting.charge(reason=fine.reason, now=now, waived=fine.balance)
        fine.waived_at = now
        fine.waived_by = actor
        fine.waive_reason = reason
        fine.settled_at = now
        fine.save(update_fields=["waived_at", "waived_by", "waive_reason", "settled_at"])
        return fine
