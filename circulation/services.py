"""Every state change of circulation records. (docs/architecture.md).

Services take keyword-only arguments, always an `actor` (the staff user, or the patron
for self-service, or None for the system), run in one transaction, and refuse with a
`CirculationRefused` whose message can be shown as it is. Admin pages, portal views,
commands and tasks are thin callers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from patrons.models import Patron
from patrons.services import blocks_in_force, card_resolve, describe_block, patron_touch

from . import counting
from .exceptions import CirculationRefused
from .models import (
    Branch,
    ComputerSession,
    Fine,
    Hold,
    Item,
    Loan,
    Program,
    ProgramRegistration,
    Title,
    Visit,
)
from .selectors import balance_for_patron, loan_policy_for

UNAVAILABLE_STATUSES = {
    Item.Status.MISSING: "This item is marked missing. Check it in to mark it found first.",
    Item.Status.LOST: "This item is marked lost. Check it in to mark it found first.",
    Item.Status.WITHDRAWN: "This item has been withdrawn from the collection.",
    Item.Status.IN_TRANSIT: "This item is in transit to another branch. Check it in first.",
}


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _end_of_day(moment: datetime.datetime) -> datetime.datetime:
    """23:59 local time on the day of `moment`: due dates and pickup deadlines."""
    local = timezone.localtime(moment)
    return local.replace(hour=23, minute=59, second=0, microsecond=0)


def _staff(actor) -> object | None:
    return actor if getattr(actor, "is_staff", False) else None


def _item_locked(barcode: str) -> Item:
    code = (barcode or "").strip()
    item = Item.objects.select_for_update().filter(barcode=code).first()
    if item is None:
        raise CirculationRefused("No item has that barcode.", code="unknown_item")
    return item


def _refuse_if_blocked(patron: Patron, now: datetime.datetime, action: str) -> None:
    blocks = blocks_in_force(patron=patron, now=now)
    if blocks:
        raise CirculationRefused(
            f"{action} is suspended: {describe_block(blocks[0])}.", code="blocked"
        )


# -- loans ---------------------------------------------------------------------------------


def loan_checkout(
    *,
    card_number: str,
    barcode: str,
    actor,
    branch: Branch | None = None,
    now: datetime.datetime | None = None,
) -> Loan:
    """Check an item out to the card's patron, or refuse with the reason."""
    now = _now(now)
    with transaction.atomic():
        card = card_resolve(card_number=card_number, now=now)
        patron = card.patron
        _refuse_if_blocked(patron, now, "Borrowing")
        limit = Decimal(settings.CALUMET_MAX_BALANCE)
        balance = balance_for_patron(patron=patron)
        if balance > limit:
            raise CirculationRefused(
                f"Unpaid balance of ${balance} is above the limit of ${limit}. "
                "Take a payment first.",
                code="balance",
            )
        item = _item_locked(barcode)
        if item.status in UNAVAILABLE_STATUSES:
            raise CirculationRefused(UNAVAILABLE_STATUSES[item.status], code="unavailable")
        if item.status == Item.Status.ON_LOAN:
            raise CirculationRefused(
                "This item is already on loan. Check it in first.", code="on_loan"
            )
        waiting = Hold.objects.filter(item=item, status=Hold.Status.WAITING).first()
        if waiting is not None and waiting.patron_id != patron.pk:
            raise CirculationRefused(
                "This item is on the hold shelf for another patron.", code="held_for_other"
            )
        open_loans = Loan.objects.filter(patron=patron, returned_at__isnull=True).count()
        if open_loans >= settings.CALUMET_LOAN_LIMIT:
            raise CirculationRefused(
                f"Loan limit reached ({settings.CALUMET_LOAN_LIMIT} items).", code="loan_limit"
            )

        policy = loan_policy_for(item)
        try:
            loan = Loan.objects.create(
                item=item,
                patron=patron,
                branch_id=branch.pk if branch else item.branch_id,
                checked_out_at=now,
                due_at=_end_of_day(now + datetime.timedelta(days=policy.loan_days)),
                checked_out_by=_staff(actor),
            )
        except IntegrityError:
            # The copy has an open loan although its status says otherwise (the database
            # allows one open loan per copy). Leaving this block rolls the check-out back.
            raise CirculationRefused(
                "This item is already on loan. Check it in first.", code="on_loan"
            ) from None
        if waiting is not None:
            waiting.status = Hold.Status.FULFILLED
            waiting.closed_at = now
            waiting.save(update_fields=["status", "closed_at"])
            counting.hold_event(
                branch_id=waiting.pickup_branch_id,
                event="filled",
                now=now,
                placed_at=waiting.placed_at,
            )
        item.status = Item.Status.ON_LOAN
        item.save(update_fields=["status"])
        counting.checkout(
            item=item, branch_id=loan.branch_id, patron_category=patron.category_id, now=now
        )
        patron_touch(patron=patron, now=now)
        return loan


@dataclass
class ReturnResult:
    barcode: str
    loan: Loan | None = None
    fine: Fine | None = None
    hold: Hold | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One desk line: "returned", "put on hold shelf for card …0001", "fine $0.75"."""
        parts = list(self.notes)
        if self.fine is not None:
            parts.append(f"fine assessed ${self.fine.amount}")
        if self.hold is not None:
            card = self.hold.patron.active_card
            who = f"card {card.masked_number}" if card else f"hold #{self.hold.pk}"
            if self.hold.status == Hold.Status.WAITING:
                parts.append(f"put on hold shelf for {who}")
            else:
                parts.append(f"send to {self.hold.pickup_branch.name} for {who}")
        return ", ".join(parts)


def overdue_fine_amount(*, loan: Loan, returned_at: datetime.datetime) -> Decimal:
    """Daily rate per day late, nothing within the grace days, capped per loan."""
    policy = loan_policy_for(loan.item)
    days_late = (timezone.localdate(returned_at) - timezone.localdate(loan.due_at)).days
    if days_late <= policy.grace_days:
        return Decimal("0.00")
    return min(policy.daily_fine * days_late, policy.max_fine).quantize(Decimal("0.01"))


def loan_return(
    *,
    barcode: str,
    actor,
    branch: Branch | None = None,
    now: datetime.datetime | None = None,
) -> ReturnResult:
    """Check an item in: close its loan, assess an overdue fine, trap it for a hold."""
    now = _now(now)
    with transaction.atomic():
        item = _item_locked(barcode)
        result = ReturnResult(barcode=item.barcode)
        loan = Loan.objects.select_for_update().filter(item=item, returned_at__isnull=True).first()
        branch_id = branch.pk if branch else item.branch_id
        if loan is None:
            in_transit_hold = Hold.objects.filter(item=item, status=Hold.Status.IN_TRANSIT).first()
            if in_transit_hold is not None:
                if in_transit_hold.pickup_branch_id == branch_id:
                    _hold_make_waiting(in_transit_hold, item, now)
                    result.hold = in_transit_hold
                    result.notes.append("arrived for pickup")
                    return result
                raise CirculationRefused(
                    f"This item is in transit to {in_transit_hold.pickup_branch.name}.",
                    code="in_transit",
                )
            if item.status in (Item.Status.MISSING, Item.Status.LOST):
                result.notes.append(f"was marked {item.get_status_display().lower()}, now found")
            elif item.status == Item.Status.ON_HOLD_SHELF:
                raise CirculationRefused(
                    "This item is not checked out: it is waiting on the hold shelf.",
                    code="not_on_loan",
                )
            else:
                raise CirculationRefused("This item is not checked out.", code="not_on_loan")
        else:
            loan.item = item  # already loaded: the fine's policy needs it
            loan.returned_at = max(now, loan.checked_out_at)
            loan.save(update_fields=["returned_at"])
            result.loan = loan
            result.notes.append("returned")
            amount = overdue_fine_amount(loan=loan, returned_at=now)
            if amount > 0:
                result.fine = Fine.objects.create(
                    patron_id=loan.patron_id,
                    loan=loan,
                    reason=Fine.Reason.OVERDUE,
                    amount=amount,
                    assessed_at=now,
                )
                counting.charge(reason=Fine.Reason.OVERDUE, now=now, charged=amount)
            category = Patron.objects.filter(pk=loan.patron_id).values_list("category", flat=True)[
                0
            ]
            counting.checkin(item=item, branch_id=branch_id, patron_category=category, now=now)
            patron_touch(patron_id=loan.patron_id, now=now)

        result.hold = _trap_for_next_hold(item, branch_id, now)
        if result.hold is None:
            item.status = Item.Status.AVAILABLE
            item.save(update_fields=["status"])
        return result


def _trap_for_next_hold(item: Item, at_branch_id: int, now: datetime.datetime) -> Hold | None:
    """Give the item to the first patron in the title's queue, if any."""
    hold = (
        Hold.objects.select_for_update()
        .filter(title_id=item.title_id, status=Hold.Status.PLACED)
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
        item.status = Item.Status.IN_TRANSIT
        item.save(update_fields=["status"])
    return hold


def _hold_make_waiting(hold: Hold, item: Item, now: datetime.datetime) -> None:
    hold.status = Hold.Status.WAITING
    hold.item = item
    hold.pickup_by = _end_of_day(now + datetime.timedelta(days=settings.CALUMET_HOLD_PICKUP_DAYS))
    hold.save(update_fields=["status", "item", "pickup_by"])
    item.status = Item.Status.ON_HOLD_SHELF
    item.save(update_fields=["status"])
    from .notices import queue_hold_ready_notice

    queue_hold_ready_notice(hold_id=hold.pk)


@dataclass
class _RenewalFacts:
    policies: dict
    held_by_others: set
    blocked: bool


def _renewal_facts(
    loans: list[Loan], now: datetime.datetime, blocks: list | None = None
) -> _RenewalFacts:
    """What renewal decisions need, for many loans of one patron in three queries."""
    from .models import LoanPolicy

    title_ids = {loan.item.title_id for loan in loans}
    patron_ids = {loan.patron_id for loan in loans}
    held = set(
        Hold.objects.filter(title_id__in=title_ids, status__in=Hold.ACTIVE_STATUSES)
        .exclude(patron_id__in=patron_ids)
        .values_list("title_id", flat=True)
    )
    policies = {p.item_type: p for p in LoanPolicy.objects.all()}
    if blocks is None:  # the caller may already know the patron's blocks in force
        patron = loans[0].patron if loans and loans[0].patron_id else None
        blocks = blocks_in_force(patron=patron, now=now) if patron else []
    blocked = bool(blocks)
    return _RenewalFacts(policies=policies, held_by_others=held, blocked=blocked)


def _renewal_refusal(loan: Loan, facts: _RenewalFacts, now: datetime.datetime) -> str | None:
    from .models import LoanPolicy

    if loan.returned_at is not None:
        return "This loan has already been returned."
    policy = facts.policies.get(loan.item.item_type) or LoanPolicy(item_type=loan.item.item_type)
    if loan.renewals >= policy.max_renewals:
        return f"Renewal limit reached ({policy.max_renewals})."
    if loan.item.title_id in facts.held_by_others:
        return "Another patron is waiting for this title."
    limit = settings.CALUMET_RENEW_OVERDUE_LIMIT_DAYS
    if loan.due_at < now - datetime.timedelta(days=limit):
        return f"Overdue by more than {limit} days: please return it to the library."
    if facts.blocked:
        return "Borrowing is suspended for this card."
    return None


def renewal_refusal(*, loan: Loan, now: datetime.datetime | None = None) -> str | None:
    """Why this loan cannot be renewed now, or None when it can."""
    now = _now(now)
    return _renewal_refusal(loan, _renewal_facts([loan], now), now)


def renewal_refusals(
    *, loans: list[Loan], now: datetime.datetime | None = None, blocks: list | None = None
) -> dict:
    """{loan id: reason or None} for one patron's loans, in a fixed number of queries.
    `blocks`: the patron's blocks in force, when the caller has them already."""
    now = _now(now)
    if not loans:
        return {}
    facts = _renewal_facts(loans, now, blocks)
    return {loan.pk: _renewal_refusal(loan, facts, now) for loan in loans}


def loan_renew(*, loan: Loan, actor, now: datetime.datetime | None = None) -> Loan:
    """Extend a loan by its item type's loan period, counted from today."""
    now = _now(now)
    with transaction.atomic():
        loan = (
            Loan.objects.select_for_update(of=("self",))
            .select_related("item", "patron")
            .get(pk=loan.pk)
        )
        reason = renewal_refusal(loan=loan, now=now)
        if reason:
            raise CirculationRefused(reason, code="renewal")
        policy = loan_policy_for(loan.item)
        loan.due_at = max(loan.due_at, _end_of_day(now + datetime.timedelta(days=policy.loan_days)))
        loan.renewals = F("renewals") + 1
        loan.save(update_fields=["due_at", "renewals"])
        loan.refresh_from_db(fields=["renewals"])
        counting.renewal(
            item=loan.item,
            branch_id=loan.branch_id,
            patron_category=loan.patron.category_id,
            now=now,
        )
        patron_touch(patron=loan.patron, now=now)
        return loan


def loan_renew_by_barcode(*, barcode: str, actor, now: datetime.datetime | None = None) -> Loan:
    loan = Loan.objects.filter(
        item__barcode=(barcode or "").strip(), returned_at__isnull=True
    ).first()
    if loan is None:
        if not Item.objects.filter(barcode=(barcode or "").strip()).exists():
            raise CirculationRefused("No item has that barcode.", code="unknown_item")
        raise CirculationRefused("This item is not checked out.", code="not_on_loan")
    return loan_renew(loan=loan, actor=actor, now=now)


# -- holds ---------------------------------------------------------------------------------


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
            raise CirculationRefused("This patron has no active card.", code="no_card")
        card_resolve(card_number=card.number, now=now)
        _refuse_if_blocked(patron, now, "Placing holds")
        if not title.items.exclude(status=Item.Status.WITHDRAWN).exists():
            raise CirculationRefused(
                "The library has no copy of this title to hold.", code="no_copy"
            )
        if Loan.objects.filter(patron=patron, item__title=title, returned_at__isnull=True).exists():
            raise CirculationRefused(
                "This title is already checked out to this card.", code="has_it"
            )
        if Hold.objects.filter(
            patron=patron, title=title, status__in=Hold.ACTIVE_STATUSES
        ).exists():
            raise CirculationRefused(
                "There is already a hold on this title for this card.", code="duplicate"
            )
        try:
            with transaction.atomic():
                hold = Hold.objects.create(
                    title=title, patron=patron, pickup_branch=pickup_branch, placed_at=now
                )
        except IntegrityError:
            raise CirculationRefused(
                "There is already a hold on this title for this card.", code="duplicate"
            ) from None
        counting.hold_event(branch_id=pickup_branch.pk, event="placed", now=now)
        patron_touch(patron=patron, now=now)
        return hold


def _release_item(item: Item | None, now: datetime.datetime, *, at: Branch) -> Hold | None:
    """An item leaves the hold shelf (cancelled or expired): next in queue, or the shelf.
    `at` is where the copy sits now (the hold's pickup branch for a waiting hold)."""
    if item is None:
        return None
    item = Item.objects.select_for_update().get(pk=item.pk)
    if item.status not in (Item.Status.ON_HOLD_SHELF, Item.Status.IN_TRANSIT):
        return None
    next_hold = _trap_for_next_hold(item, at.pk, now)
    if next_hold is None:
        item.status = Item.Status.AVAILABLE
        item.save(update_fields=["status"])
    return next_hold


def hold_cancel(*, hold: Hold, actor, now: datetime.datetime | None = None) -> Hold:
    now = _now(now)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if hold.status not in Hold.ACTIVE_STATUSES:
            raise CirculationRefused("This hold is no longer active.", code="closed")
        item = hold.item
        # A waiting copy is on the pickup branch's shelf; one in transit is still at home.
        where = hold.pickup_branch if hold.status == Hold.Status.WAITING else None
        hold.status = Hold.Status.CANCELLED
        hold.closed_at = now
        hold.item = None
        hold.pickup_by = None
        hold.save(update_fields=["status", "closed_at", "item", "pickup_by"])
        counting.hold_event(branch_id=hold.pickup_branch_id, event="cancelled", now=now)
        _release_item(item, now, at=where or (item.branch if item else hold.pickup_branch))
        return hold


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
            counting.hold_event(branch_id=hold.pickup_branch_id, event="expired", now=now)
            _release_item(item, now, at=hold.pickup_branch)  # it sits on that hold shelf
            expired += 1
    return expired


# -- fines ---------------------------------------------------------------------------------


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip().lstrip("$")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise CirculationRefused("Enter an amount such as 2.50.", code="amount") from None
    if not amount.is_finite():
        raise CirculationRefused("Enter an amount such as 2.50.", code="amount")
    return amount


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


# -- programs ------------------------------------------------------------------------------


def program_register(
    *, program: Program, patron: Patron, actor, now: datetime.datetime | None = None
) -> ProgramRegistration:
    """Sign a patron up; when the program is full they join the waiting list."""
    now = _now(now)
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        if program.ends_at <= now:
            raise CirculationRefused("This program has already taken place.", code="past")
        if (
            ProgramRegistration.objects.filter(program=program, patron=patron)
            .exclude(status=ProgramRegistration.Status.CANCELLED)
            .exists()
        ):
            raise CirculationRefused("Already signed up for this program.", code="duplicate")
        taken = ProgramRegistration.objects.filter(
            program=program, status=ProgramRegistration.Status.REGISTERED
        ).count()
        full = program.capacity is not None and taken >= program.capacity
        registration = ProgramRegistration.objects.create(
            program=program,
            patron=patron,
            registered_at=now,
            status=(
                ProgramRegistration.Status.WAITLISTED
                if full
                else ProgramRegistration.Status.REGISTERED
            ),
        )
        if not full:
            Program.objects.filter(pk=program.pk).update(
                registration_count=F("registration_count") + 1
            )
        patron_touch(patron=patron, now=now)
        return registration


def program_cancel_registration(
    *, registration: ProgramRegistration, actor, now: datetime.datetime | None = None
) -> ProgramRegistration:
    now = _now(now)
    with transaction.atomic():
        registration = ProgramRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == ProgramRegistration.Status.CANCELLED:
            raise CirculationRefused("This sign-up was already cancelled.", code="cancelled")
        was_registered = registration.status == ProgramRegistration.Status.REGISTERED
        registration.status = ProgramRegistration.Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        if was_registered:
            Program.objects.filter(pk=registration.program_id).update(
                registration_count=F("registration_count") - 1
            )
            first_waiting = (
                ProgramRegistration.objects.select_for_update()
                .filter(
                    program_id=registration.program_id,
                    status=ProgramRegistration.Status.WAITLISTED,
                )
                .order_by("registered_at", "pk")
                .first()
            )
            if first_waiting is not None:
                first_waiting.status = ProgramRegistration.Status.REGISTERED
                first_waiting.save(update_fields=["status"])
                Program.objects.filter(pk=registration.program_id).update(
                    registration_count=F("registration_count") + 1
                )
        return registration


def program_mark_attended(*, registration: ProgramRegistration, actor) -> ProgramRegistration:
    """Tick a patron present. The program's attendance count outlives the sign-up."""
    with transaction.atomic():
        registration = ProgramRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == ProgramRegistration.Status.CANCELLED:
            raise CirculationRefused("This sign-up was cancelled.", code="cancelled")
        if registration.attended:
            return registration
        registration.attended = True
        registration.save(update_fields=["attended"])
        Program.objects.filter(pk=registration.program_id).update(
            attendance_count=F("attendance_count") + 1
        )
        return registration


# -- visits and public computers -------------------------------------------------------------


def visit_record(
    *, card_number: str, branch: Branch, actor, now: datetime.datetime | None = None
) -> Visit:
    """A card scanned at the entrance: a visit, and one more in the branch's daily count."""
    now = _now(now)
    with transaction.atomic():
        card = card_resolve(card_number=card_number, now=now)
        visit = Visit.objects.create(patron=card.patron, branch=branch, visited_at=now)
        counting.visit(branch_id=branch.pk, now=now)
        patron_touch(patron=card.patron, now=now)
        return visit


def computer_session_start(
    *,
    card_number: str,
    branch: Branch,
    workstation: str,
    actor,
    now: datetime.datetime | None = None,
) -> ComputerSession:
    now = _now(now)
    workstation = (workstation or "").strip()
    if not workstation:
        raise CirculationRefused("Name the computer, for example PC-04.", code="workstation")
    with transaction.atomic():
        card = card_resolve(card_number=card_number, now=now)
        _refuse_if_blocked(card.patron, now, "Computer use")
        # One computer at a time: a session left open elsewhere is ended.
        for left_open in ComputerSession.objects.select_for_update().filter(
            patron=card.patron, ended_at__isnull=True
        ):
            left_open.ended_at = max(now, left_open.started_at)
            left_open.save(update_fields=["ended_at"])
            counting.computer_use(
                branch_id=left_open.branch_id,
                started_at=left_open.started_at,
                ended_at=left_open.ended_at,
            )
        try:
            with transaction.atomic():
                session = ComputerSession.objects.create(
                    patron=card.patron, branch=branch, workstation=workstation, started_at=now
                )
        except IntegrityError:
            raise CirculationRefused(
                "Someone is already using this computer.", code="workstation_busy"
            ) from None
        patron_touch(patron=card.patron, now=now)
        return session


def computer_session_end(
    *, session: ComputerSession, actor, now: datetime.datetime | None = None
) -> ComputerSession:
    now = _now(now)
    with transaction.atomic():
        session = ComputerSession.objects.select_for_update().get(pk=session.pk)
        if session.ended_at is not None:
            raise CirculationRefused("This session has already ended.", code="ended")
        session.ended_at = max(now, session.started_at)
        session.save(update_fields=["ended_at"])
        counting.computer_use(
            branch_id=session.branch_id, started_at=session.started_at, ended_at=session.ended_at
        )
        return session


def history_entry_delete(*, loan: Loan, actor, now: datetime.datetime | None = None) -> None:
    """The patron removes one returned loan from their reading history: it is anonymised
    at once, as the nightly expunge would have done without the opt-in."""
    from patrons.registry import registry

    now = _now(now)
    with transaction.atomic():
        kind = registry.get("loan")
        closed = kind.closed_records(now).filter(pk=loan.pk)
        if not closed.exists():
            raise CirculationRefused(
                "This loan cannot be removed yet: a fine on it is still unpaid.", code="active"
            )
        kind.expunge_queryset(closed, now)
