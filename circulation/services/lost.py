"""Lost and damaged copies, and charges staff add by hand.

A copy declared lost while on loan closes the loan (as Koha's "lost items are returned")
and charges the borrower its replacement cost (the item's price, or the library policy's
default replacement cost) plus its processing fee. The nightly worker declares lost the
loans overdue more than the policy's lost-after days. A lost copy found and checked in gets
its unpaid replacement charge waived (the policy says "waive", the default, or "keep"); what
was already paid is
reported for a refund. The processing fee stays.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from circulation import signals
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Fine, Item, Loan
from circulation.models.policy import LibraryPolicy, library_policy
from circulation.selectors.charges import lost_charges
from circulation.services._common import _item_locked, _money, _now
from patrons.models import Patron
from privacy.acting import service
from staff.roles import require

#: Reasons staff may pick for a manual charge.
MANUAL_REASONS = (
    Fine.Reason.DAMAGED,
    Fine.Reason.LOST,
    Fine.Reason.CARD,
    Fine.Reason.PRINTING,
    Fine.Reason.OTHER,
)


def _charge(*, patron_id: int, loan: Loan | None, reason: str, amount: Decimal, now, note=""):
    fine = Fine.objects.create(
        patron_id=patron_id, loan=loan, reason=reason, amount=amount, assessed_at=now, note=note
    )
    signals.charge(reason=reason, now=now, charged=amount)
    return fine


@service
def item_declare_lost(
    *,
    barcode: str,
    actor,
    expected_total: Decimal | None = None,
    now: datetime.datetime | None = None,
) -> list[Fine]:
    """Mark a copy lost; when it is on loan, close the loan and charge the borrower.
    `expected_total` is the charge the desk confirmed: anything else is refused."""
    if actor is not None:
        require(actor, "circulation.declare_item_lost", "declare an item lost")
    now = _now(now)
    with transaction.atomic():
        item = _item_locked(barcode)
        if item.status in (Item.Status.LOST, Item.Status.WITHDRAWN):
            raise CirculationRefused(
                f"This item is already {item.get_status_display().lower()}.",
                code=CirculationRefusal.STATUS,
            )
        loan = Loan.objects.select_for_update().filter(item=item, returned_at__isnull=True).first()
        if expected_total is not None:
            total = sum((a for _r, a in lost_charges(item)), start=Decimal("0.00"))
            if (total if loan else Decimal("0.00")) != expected_total:
                raise CirculationRefused(
                    "The charge is not the one you confirmed (the item changed meanwhile). "
                    "Nothing was changed: scan it again.",
                    code=CirculationRefusal.CHANGED,
                )
        fines = []
        if loan is not None:
            loan.returned_at = max(now, loan.checked_out_at)
            loan.save(update_fields=["returned_at"])
            for reason, amount in lost_charges(item):
                fines.append(
                    _charge(
                        patron_id=loan.patron_id, loan=loan, reason=reason, amount=amount, now=now
                    )
                )
        item.status = Item.Status.LOST
        item.save(update_fields=["status"])
        return fines


def lost_found(*, item: Item, now: datetime.datetime) -> str:
    """A lost copy checked in: waive its unpaid replacement charge by policy. Returns a
    note for the desk line ("" when nothing was charged)."""
    charges = Fine.objects.select_for_update().filter(
        loan__item=item, reason=Fine.Reason.LOST, waived_at__isnull=True
    )
    notes = []
    for fine in charges:
        if fine.amount_paid:
            notes.append(f"${fine.amount_paid} was paid for its replacement: refund it")
        if (
            library_policy().lost_found_refund == LibraryPolicy.LostFound.WAIVE
            and fine.settled_at is None
        ):
            signals.charge(reason=fine.reason, now=now, waived=fine.balance)
            fine.waived_at = now
            fine.waive_reason = Fine.WaiveReason.FOUND
            fine.settled_at = now
            fine.save(update_fields=["waived_at", "waive_reason", "settled_at"])
            notes.append("unpaid replacement charge waived")
    return "; ".join(notes)


@service
def item_declare_damaged(
    *, barcode: str, actor, charge=None, note: str = "", now: datetime.datetime | None = None
) -> Fine | None:
    """Take a damaged copy out of circulation; optionally charge the patron who has it (or
    last returned it, while that loan is still kept). Staff need `circulation.change_item`
    (librarians by default)."""
    if actor is not None:
        require(actor, "circulation.change_item", "declare an item damaged")
    now = _now(now)
    amount = _money(charge) if charge not in (None, "") else None
    if amount is not None and amount <= 0:
        raise CirculationRefused(
            "A charge must be more than $0.00.", code=CirculationRefusal.AMOUNT
        )
    with transaction.atomic():
        item = _item_locked(barcode)
        if item.status == Item.Status.DAMAGED:
            raise CirculationRefused(CirculationRefusal.STATUS)
        fine = None
        if amount is not None:
            loan = Loan.objects.filter(item=item).order_by("-checked_out_at").first()
            if loan is None:
                raise CirculationRefused(CirculationRefusal.NO_LOAN)
            fine = _charge(
                patron_id=loan.patron_id,
                loan=loan,
                reason=Fine.Reason.DAMAGED,
                amount=amount,
                now=now,
                note=(note or "").strip()[:100],
            )
        item.status = Item.Status.DAMAGED
        item.save(update_fields=["status"])
        return fine


@service
def fine_charge_manual(
    *,
    patron: Patron,
    amount,
    reason: str,
    note: str = "",
    actor,
    now: datetime.datetime | None = None,
) -> Fine:
    """A charge staff add by hand: a reason from the list and a short note ("Other" needs
    one, as a waiver for "Other" does). The note is for staff: the desk and the patron's
    page show it, the audit log keeps its name only."""
    now = _now(now)
    require(actor, "circulation.add_fine", "add a charge")
    if reason not in MANUAL_REASONS:
        raise CirculationRefused(
            "Choose a reason for the charge from the list.", code=CirculationRefusal.REASON
        )
    note = (note or "").strip()
    if len(note) > 100:
        raise CirculationRefused(CirculationRefusal.NOTE)
    amount = _money(amount)
    if amount <= 0:
        raise CirculationRefused(
            "A charge must be more than $0.00.", code=CirculationRefusal.AMOUNT
        )
    if reason == Fine.Reason.OTHER and not note:
        raise CirculationRefused(
            "For “Other”, say in the note what the charge is for.", code=CirculationRefusal.NOTE
        )
    with transaction.atomic():
        return _charge(
            patron_id=patron.pk, loan=None, reason=reason, amount=amount, now=now, note=note
        )


@service
def mark_long_overdue_lost(*, actor, now: datetime.datetime | None = None) -> int:
    """The nightly job (actor None): loans overdue more than the policy's lost-after days
    are lost."""
    now = _now(now)
    limit = now - datetime.timedelta(days=library_policy().lost_after_days)
    marked = 0
    for barcode in Loan.objects.filter(returned_at__isnull=True, due_at__lt=limit).values_list(
        "item__barcode", flat=True
    ):
        try:
            item_declare_lost(barcode=barcode, actor=actor, now=now)
        except CirculationRefused:
            continue
        marked += 1
    return marked


def record_overdue_counts(*, now: datetime.datetime | None = None) -> int:
    """The nightly job: how many copies each branch has overdue tonight, into the
    anonymous statistics (the statistics page reads this count, never the loans)."""
    return signals.overdue_count(now=_now(now))
