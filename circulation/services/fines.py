"""Fines: payments (with their method and receipt number) and waivers (with a reason)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from circulation import signals
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Branch, Fine, FinePayment
from circulation.services._common import _money, _now, _staff
from patrons.models import Patron
from patrons.services import patron_touch
from privacy.acting import service
from staff.roles import require


def _apply(*, fine: Fine, amount: Decimal, now: datetime.datetime) -> Fine:
    """Put a payment on a fine, in the caller's transaction (the fine is locked here)."""
    fine = Fine.objects.select_for_update().get(pk=fine.pk)
    if fine.settled_at is not None:
        raise CirculationRefused(CirculationRefusal.SETTLED)
    if amount <= 0:
        raise CirculationRefused(
            "A payment must be more than $0.00.", code=CirculationRefusal.AMOUNT
        )
    if amount > fine.balance:
        raise CirculationRefusal.OVERPAYMENT.refuse(balance=fine.balance)
    fine.amount_paid += amount
    fields = ["amount_paid"]
    if fine.amount_paid == fine.amount:
        fine.settled_at = now
        fields.append("settled_at")
    fine.save(update_fields=fields)
    signals.charge(reason=fine.reason, now=now, paid=amount)
    return fine


@service
def fine_pay(*, fine: Fine, amount, actor, now: datetime.datetime | None = None) -> Fine:
    """Take a payment (partial payments allowed; more than the balance is refused). The
    desk takes payments with `payment_take`, which records the method and a receipt."""
    now = _now(now)
    amount = _money(amount)
    with transaction.atomic():
        fine = _apply(fine=fine, amount=amount, now=now)
        if fine.patron_id:
            patron_touch(patron=fine.patron, now=now)
        return fine


def _next_receipt_number(branch: Branch, now: datetime.datetime) -> str:
    """ "MAIN-20261201-0003": the branch, the local day, and a count that starts again
    every day (`circulation/models/payments.py` says why). The branch row is locked, so two
    desks of a branch never get the same number."""
    Branch.objects.select_for_update().filter(pk=branch.pk).first()
    prefix = f"{branch.code.upper()}-{timezone.localtime(now):%Y%m%d}-"
    last = (
        FinePayment.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    count = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{count:04d}"


@service
def payment_take(
    *,
    patron: Patron,
    parts: list[tuple[Fine, object]],
    method: str,
    branch: Branch,
    actor,
    now: datetime.datetime | None = None,
) -> str:
    """Take one payment at the desk for one or more of the patron's fines (`parts`: each
    fine with the amount paid on it) and return the receipt number. All of it is applied,
    or none: a refused part refuses the whole payment."""
    now = _now(now)
    if method not in FinePayment.Method.values:
        raise CirculationRefused(CirculationRefusal.METHOD)
    amounts = [(fine, _money(amount)) for fine, amount in parts]
    if not amounts:
        raise CirculationRefused(CirculationRefusal.NOTHING)
    if any(fine.patron_id != patron.pk for fine, _ in amounts):
        raise CirculationRefused(CirculationRefusal.PATRON)
    with transaction.atomic():
        number = _next_receipt_number(branch, now)
        for fine, amount in amounts:
            fine = _apply(fine=fine, amount=amount, now=now)
            FinePayment.objects.create(
                number=number,
                patron=patron,
                fine=fine,
                kind=fine.reason,
                amount=amount,
                method=method,
                taken_at=now,
                branch=branch,
                taken_by=_staff(actor),
            )
        patron_touch(patron=patron, now=now)
        return number


@service
def fine_waive(
    *, fine: Fine, reason: str, note: str = "", actor, now: datetime.datetime | None = None
) -> Fine:
    """Forgive the rest of a fine. Librarians and administrators only; a reason from the
    list is required, a short note is optional."""
    now = _now(now)
    require(actor, "circulation.waive_fine", "waive fines")
    if reason not in Fine.WaiveReason.values:
        raise CirculationRefused(CirculationRefusal.REASON)
    note = (note or "").strip()
    if len(note) > 100:
        raise CirculationRefused(CirculationRefusal.NOTE)
    if reason == Fine.WaiveReason.OTHER and not note:
        raise CirculationRefused(
            "Say in the note why the fine is waived.", code=CirculationRefusal.NOTE
        )
    with transaction.atomic():
        fine = Fine.objects.select_for_update().get(pk=fine.pk)
        if fine.settled_at is not None:
            raise CirculationRefused(CirculationRefusal.SETTLED)
        signals.charge(reason=fine.reason, now=now, waived=fine.balance)
        fine.waived_at = now
        fine.waived_by = actor
        fine.waive_reason = reason
        fine.waive_note = note
        fine.settled_at = now
        fine.save(
            update_fields=["waived_at", "waived_by", "waive_reason", "waive_note", "settled_at"]
        )
        return fine
