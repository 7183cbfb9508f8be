"""Check-out and check-in: the loan's life at the desk, and reading-history removal."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.dateformat import format as date_format

from circulation import signals
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Branch, Fine, Hold, Item, Loan
from circulation.models.lending import OverrideKind
from circulation.models.policy import library_policy
from circulation.models.rules import RuleBook
from circulation.models.transit import Transit
from circulation.selectors import balance_for_patron, open_transit
from circulation.selectors.charges import overdue_fine_amount
from circulation.services._common import (
    UNAVAILABLE_STATUSES,
    _due_date,
    _item_locked,
    _now,
    _refuse_if_blocked,
    _staff,
)
from circulation.services.hold_targets import (
    hold_target_copy,
    retarget_holds_on,
    target_queued_holds,
)
from circulation.services.lost import lost_found
from circulation.services.overrides import Override, check_override, record_override
from circulation.services.shelving import (
    _hold_make_waiting,
    _release_item,
    _trap_for_next_hold,
    shelve_or_send_home,
)
from circulation.services.transit import transit_receive
from patrons.models import Card, Patron
from patrons.selectors import card_check, card_resolve
from patrons.services import patron_touch
from privacy.acting import service
from privacy.erasures import journal
from privacy.models import ErasureAction
from privacy.registry import registry


@service
def loan_checkout(
    *,
    card_number: str = "",
    card: Card | None = None,
    barcode: str,
    actor,
    branch: Branch | None = None,
    override: Override | None = None,
    now: datetime.datetime | None = None,
) -> Loan:
    """Check an item out to the card's patron, or refuse with the reason. `card`: the
    card when the caller has it loaded with its patron in this request (its status and
    expiry are checked all the same, without reading it again). `override` (by a role that
    may, with a reason) lets a balance above the fine limit through, or a copy waiting on
    the hold shelf for another patron: that hold goes back to the front of its queue."""
    now = _now(now)
    if override is not None:
        override = check_override(override, actor=actor)
    with transaction.atomic():
        if card is not None:
            card = card_check(card=card, now=now)
        else:
            card = card_resolve(card_number=card_number, now=now)
        patron = card.patron
        _refuse_if_blocked(patron, now, "Borrowing")
        limit = library_policy().max_balance
        balance = balance_for_patron(patron=patron)
        overriding = override is not None and override.kind == OverrideKind.FINE_LIMIT
        if balance > limit and not overriding:
            raise CirculationRefusal.BALANCE.refuse(balance=balance, limit=limit)
        item = _item_locked(barcode)
        if item.status in UNAVAILABLE_STATUSES:
            raise CirculationRefused(
                UNAVAILABLE_STATUSES[item.status], code=CirculationRefusal.UNAVAILABLE
            )
        if item.status == Item.Status.ON_LOAN:
            mine = Loan.objects.filter(item=item, patron=patron, returned_at__isnull=True).first()
            if mine is not None:
                # Not another patron's copy: the desk offers a renewal instead (never made
                # here without being asked; a kiosk renews, as Koha does: sip2/).
                due = date_format(timezone.localtime(mine.due_at), "D M j")
                raise CirculationRefusal.ALREADY_HAS.refuse(due=due)
            raise CirculationRefused(CirculationRefusal.ON_LOAN)
        waiting = (
            Hold.objects.select_for_update(of=("self",))
            .filter(item=item, status=Hold.Status.WAITING)
            .first()
        )
        bumped = None
        if waiting is not None and waiting.patron_id != patron.pk:
            if override is None or override.kind != OverrideKind.HOLD_SHELF:
                raise CirculationRefused(CirculationRefusal.HELD_FOR_OTHER)
            bumped, waiting = waiting, None
        branch_id = branch.pk if branch else item.branch_id
        book = RuleBook()
        rule = book.find(category=patron.category_id, item_type=item.item_type, branch_id=branch_id)
        overall = book.find(category=patron.category_id, item_type="", branch_id=branch_id)
        held = Loan.objects.filter(patron=patron, returned_at__isnull=True).aggregate(
            total=Count("pk"), of_type=Count("pk", filter=Q(item__item_type=item.item_type))
        )
        if rule.item_type and held["of_type"] >= rule.max_loans:
            raise CirculationRefusal.LOAN_LIMIT.refuse(
                limit=rule.max_loans, item_type=item.get_item_type_display()
            )
        if held["total"] >= overall.max_loans:
            raise CirculationRefusal.LOAN_LIMIT.refuse(
                "Loan limit reached (%(limit)s items).", limit=overall.max_loans
            )

        try:
            loan = Loan.objects.create(
                item=item,
                patron=patron,
                branch_id=branch_id,
                checked_out_at=now,
                due_at=_due_date(now, rule.loan_days, branch_id),
                rule=rule if rule.pk else None,
                checked_out_by=_staff(actor),
            )
        except IntegrityError:
            # The copy has an open loan although its status says otherwise (the database
            # allows one open loan per copy). Leaving this block rolls the check-out back.
            raise CirculationRefused(CirculationRefusal.ON_LOAN) from None
        if (overriding and balance > limit) or bumped is not None:
            record_override(loan, override, actor=actor)
        item.status = Item.Status.ON_LOAN
        Item.objects.filter(pk=item.pk).update(
            status=item.status, circulation_count=F("circulation_count") + 1
        )
        if bumped is not None:
            hold_back_to_queue(bumped, now=now)
        _fill_own_hold(waiting, patron=patron, item=item, now=now)
        retarget_holds_on(item=item, now=now)
        signals.checkout(
            item=item,
            branch_id=loan.branch_id,
            patron_category=patron.category_id,
            now=now,
            item_counted=True,
        )
        patron_touch(patron=patron, now=now)
        return loan


def hold_back_to_queue(hold: Hold, *, now) -> None:
    """The copy waiting for this hold was checked out to someone else (an override): the
    hold is in the queue again, first in line as it keeps when it was placed, with no copy
    and no pickup deadline; it looks for another copy on a shelf (a pull list shows it),
    else the next copy returned is trapped for it, and its patron is told again then."""
    hold.status = Hold.Status.PLACED
    hold.item = None
    hold.pickup_by = None
    hold.notified_at = None
    hold.save(update_fields=["status", "item", "pickup_by", "notified_at"])
    hold_target_copy(hold=hold, now=now)


def _fill_own_hold(waiting: Hold | None, *, patron: Patron, item: Item, now) -> None:
    """The patron borrows a copy of a title they hold: their hold is filled, whatever
    state it is in. The copy trapped for it (`waiting`), or any copy of the title: a hold
    still in the queue (perhaps pointing at this copy on the pull list) is filled too, or it
    would stay open and trap the copy for the same patron again at its return. A copy
    trapped or travelling for that hold that is not this one goes to the next patron."""
    hold = waiting or (
        Hold.objects.select_for_update(of=("self",))
        .filter(patron=patron, title_id=item.title_id, status__in=Hold.ACTIVE_STATUSES)
        .select_related("pickup_branch")
        .first()
    )
    if hold is None:
        return
    other = hold.item if hold.item_id not in (None, item.pk) else None
    pointed_at = other is not None and hold.status == Hold.Status.PLACED
    other_at = hold.pickup_branch if hold.status == Hold.Status.WAITING else None
    hold.status = Hold.Status.FULFILLED
    hold.closed_at = now
    hold.item = item
    hold.save(update_fields=["status", "closed_at", "item"])
    signals.hold_event(
        branch_id=hold.pickup_branch_id, event="filled", now=now, placed_at=hold.placed_at
    )
    if pointed_at:
        # Only on the pull list for it: that copy never left its shelf.
        target_queued_holds(title_id=hold.title_id, now=now)
    elif other is not None:
        _release_item(other, now, at=other_at or other.branch)


@dataclass
class ReturnResult:
    barcode: str
    loan: Loan | None = None
    fine: Fine | None = None
    hold: Hold | None = None
    transit: Transit | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One desk line: "returned", "put on hold shelf for card …0001", "fine $0.75"."""
        parts = list(self.notes)
        if self.fine is not None:
            parts.append(f"fine assessed ${self.fine.amount}")
        if self.transit is not None:
            parts.append(f"send home to {self.transit.to_branch.name} (print a transit slip)")
        if self.hold is not None:
            card = self.hold.patron.active_card
            who = f"card {card.masked_number}" if card else f"hold #{self.hold.pk}"
            if self.hold.status == Hold.Status.WAITING:
                parts.append(f"put on hold shelf for {who}")
            else:
                parts.append(f"send to {self.hold.pickup_branch.name} for {who}")
        return ", ".join(parts)


@service
def loan_return(
    *,
    barcode: str,
    actor,
    branch: Branch | None = None,
    now: datetime.datetime | None = None,
    returned_at: datetime.datetime | None = None,
) -> ReturnResult:
    """Check an item in: close its loan, assess an overdue fine, trap it for a hold.

    `returned_at`: when the copy was really returned, if earlier than now (a book drop
    emptied later, a kiosk that was offline): the loan closes then and the overdue fine
    is counted to then. It may not be in the future nor before the loan began."""
    now = _now(now)
    if returned_at is not None and returned_at > now:
        raise CirculationRefused(CirculationRefusal.RETURN_DATE)
    with transaction.atomic():
        item = _item_locked(barcode)
        result = ReturnResult(barcode=item.barcode)
        loan = (
            Loan.objects.select_for_update(of=("self",))
            .filter(item=item, returned_at__isnull=True)
            .annotate(patron_category=F("patron__category"))
            .first()
        )
        branch_id = branch.pk if branch else item.branch_id
        if loan is None:
            in_transit_hold = Hold.objects.filter(item=item, status=Hold.Status.IN_TRANSIT).first()
            if in_transit_hold is not None:
                if in_transit_hold.pickup_branch_id == branch_id:
                    transit_receive(item=item, branch_id=branch_id, now=now)
                    _hold_make_waiting(in_transit_hold, item, now)
                    result.hold = in_transit_hold
                    result.notes.append("arrived for pickup")
                    return result
                raise CirculationRefusal.IN_TRANSIT.refuse(
                    branch=in_transit_hold.pickup_branch.name
                )
            transit = open_transit(item=item) if item.status == Item.Status.IN_TRANSIT else None
            if transit is not None and transit.to_branch_id != branch_id:
                raise CirculationRefusal.IN_TRANSIT.refuse(branch=transit.to_branch.name)
            if transit is not None:
                transit_receive(item=item, branch_id=branch_id, now=now)
                result.notes.append("arrived from transit")
            elif item.status in (Item.Status.MISSING, Item.Status.LOST, Item.Status.DAMAGED):
                was = item.get_status_display().lower()
                result.notes.append(
                    f"was marked {was}, now back"
                    if was == "damaged"
                    else f"was marked {was}, now found"
                )
                if item.status == Item.Status.LOST:
                    note = lost_found(item=item, now=now)
                    if note:
                        result.notes.append(note)
            elif item.status == Item.Status.ON_HOLD_SHELF:
                raise CirculationRefused(CirculationRefusal.NOT_ON_LOAN)
            else:
                raise CirculationRefused(
                    "This item is not checked out.", code=CirculationRefusal.NOT_ON_LOAN
                )
        else:
            loan.item = item  # already loaded: the fine's policy needs it
            if returned_at is not None and returned_at < loan.checked_out_at:
                raise CirculationRefused(
                    "The return date is before the loan began.", code=CirculationRefusal.RETURN_DATE
                )
            loan.returned_at = returned_at or max(now, loan.checked_out_at)
            loan.save(update_fields=["returned_at"])
            result.loan = loan
            result.notes.append("returned")
            amount = overdue_fine_amount(loan=loan, returned_at=loan.returned_at)
            if amount > 0:
                result.fine = Fine.objects.create(
                    patron_id=loan.patron_id,
                    loan=loan,
                    reason=Fine.Reason.OVERDUE,
                    amount=amount,
                    assessed_at=now,
                )
                signals.charge(reason=Fine.Reason.OVERDUE, now=now, charged=amount)
            signals.checkin(
                item=item, branch_id=branch_id, patron_category=loan.patron_category, now=now
            )
            patron_touch(patron_id=loan.patron_id, now=now)

        result.hold = _trap_for_next_hold(item, branch_id, now)
        if result.hold is None:
            shelve_or_send_home(item, branch_id, now, result)
        return result


@service
def history_entry_delete(*, loan: Loan, actor, now: datetime.datetime | None = None) -> None:
    """The patron removes one returned loan from their reading history: it is anonymised
    at once, as the nightly expunge would have done without the opt-in."""
    now = _now(now)
    with transaction.atomic():
        kind = registry.get("loan")
        closed = kind.closed_records(now).filter(pk=loan.pk)
        if not closed.exists():
            raise CirculationRefused(CirculationRefusal.ACTIVE)
        kind.expunge_queryset(closed, now)
        journal(ErasureAction.RECORD_ERASED, kind="loan", ref=loan.pk, at=now)
