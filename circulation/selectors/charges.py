"""What the library charges, worked out without charging: the overdue fine a loan has run
up, and what declaring a copy lost would charge its borrower (the desk's confirmation)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Fine, Item, Loan
from circulation.models.calendar import days_late as library_days_late
from circulation.models.policy import library_policy
from circulation.models.rules import CirculationRule, rule_for
from patrons.models import Patron


def overdue_fine_amount(
    *, loan: Loan, returned_at: datetime.datetime, rule: CirculationRule | None = None
) -> Decimal:
    """Daily rate per day late, nothing within the grace days, capped per loan (by the
    loan's circulation rule, looked up now unless given)."""
    if rule is None:
        category = getattr(loan, "patron_category", None)
        if category is None:
            category = (
                Patron.objects.filter(pk=loan.patron_id)
                .values_list("category", flat=True)
                .order_by()
                .first()
            )
        rule = rule_for(
            category=category or "", item_type=loan.item.item_type, branch_id=loan.branch_id
        )
    policy = rule
    days_late = library_days_late(
        due_at=loan.due_at, returned_at=returned_at, branch_id=loan.branch_id
    )
    if days_late <= policy.grace_days:
        return Decimal("0.00")
    # Late days already charged at an overdue renewal count towards the cap.
    charged = sum(
        (f.amount for f in loan.fines.filter(reason=Fine.Reason.OVERDUE)), Decimal("0.00")
    )
    cap = max(policy.max_fine - charged, Decimal("0.00"))
    return min(policy.daily_fine * days_late, cap).quantize(Decimal("0.01"))


def lost_charges(item: Item) -> list[tuple[str, Decimal]]:
    """What declaring this copy lost charges its borrower: (reason, amount) for the
    replacement cost (the item's price, or the default) and the processing fee."""
    policy = library_policy()
    cost = item.price if item.price else policy.default_replacement_cost
    fee = policy.lost_processing_fee
    return [
        (reason, amount)
        for reason, amount in ((Fine.Reason.LOST, cost), (Fine.Reason.PROCESSING, fee))
        if amount > 0
    ]


def lost_preview(*, barcode: str) -> dict:
    """For the desk's confirmation before "Declare lost": the copy, whether it is on loan,
    and what its borrower would be charged (nothing is changed; the borrower not named)."""
    item = Item.objects.select_related("title").filter(barcode=barcode.strip()).first()
    if item is None:
        raise CirculationRefused("No item has that barcode.", code=CirculationRefusal.UNKNOWN_ITEM)
    if item.status in (Item.Status.LOST, Item.Status.WITHDRAWN):
        raise CirculationRefused(
            f"This item is already {item.get_status_display().lower()}.",
            code=CirculationRefusal.STATUS,
        )
    on_loan = Loan.objects.filter(item=item, returned_at__isnull=True).exists()
    charges = lost_charges(item) if on_loan else []
    return {
        "item": item,
        "on_loan": on_loan,
        "charges": [(Fine.Reason(reason).label, amount) for reason, amount in charges],
        "total": sum((amount for _reason, amount in charges), start=Decimal("0.00")),
    }
