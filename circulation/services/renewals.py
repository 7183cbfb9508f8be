"""Renewals: whether a loan can be renewed, and renewing it (one loan or a patron's all)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from circulation import signals
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Fine, Hold, Item, Loan
from circulation.models.calendar import BranchCalendar, end_of_open_day
from circulation.models.lending import OverrideKind
from circulation.models.policy import LibraryPolicy, library_policy
from circulation.models.rules import CirculationRule, RuleBook
from circulation.services._common import _now
from circulation.services.loans import overdue_fine_amount
from circulation.services.overrides import Override, check_override, record_override
from patrons.models import Patron
from patrons.services import blocks_in_force, patron_touch
from privacy.acting import service


@dataclass
class _RenewalFacts:
    rules: RuleBook
    categories: dict
    held_by_others: set
    blocked: bool
    #: Each branch's calendar, loaded the first time a loan of that branch needs it.
    calendars: dict = field(default_factory=dict)

    def calendar(self, branch_id: int | None) -> BranchCalendar:
        if branch_id not in self.calendars:
            self.calendars[branch_id] = BranchCalendar(branch_id)
        return self.calendars[branch_id]


def _renewal_facts(
    loans: list[Loan], now: datetime.datetime, blocks: list | None = None
) -> _RenewalFacts:
    """What renewal decisions need, for many loans of one patron in four queries."""
    title_ids = {loan.item.title_id for loan in loans}
    patron_ids = {loan.patron_id for loan in loans}
    held = set(
        Hold.objects.filter(title_id__in=title_ids, status__in=Hold.ACTIVE_STATUSES)
        .exclude(patron_id__in=patron_ids)
        .values_list("title_id", flat=True)
    )
    categories = dict(Patron.objects.filter(pk__in=patron_ids).values_list("pk", "category"))
    if blocks is None:  # the caller may already know the patron's blocks in force
        patron = loans[0].patron if loans and loans[0].patron_id else None
        blocks = blocks_in_force(patron=patron, now=now) if patron else []
    blocked = bool(blocks)
    return _RenewalFacts(
        rules=RuleBook(), categories=categories, held_by_others=held, blocked=blocked
    )


def _rule(loan: Loan, facts: _RenewalFacts) -> CirculationRule:
    return facts.rules.find(
        category=facts.categories.get(loan.patron_id, ""),
        item_type=loan.item.item_type,
        branch_id=loan.branch_id,
    )


def _renewal_refusal(
    loan: Loan, facts: _RenewalFacts, now: datetime.datetime, *, past_limit: bool = False
) -> str | None:
    if loan.returned_at is not None:
        return _("This loan has already been returned.")
    policy = _rule(loan, facts)
    if loan.renewals >= policy.max_renewals and not past_limit:
        return _("Renewal limit reached (%(limit)s).") % {"limit": policy.max_renewals}
    if loan.item.title_id in facts.held_by_others:
        return _("Another patron is waiting for this title.")
    limit = library_policy().renew_overdue_limit_days
    if loan.due_at < now - datetime.timedelta(days=limit):
        return _("Overdue by more than %(days)s days: please return it to the library.") % {
            "days": limit
        }
    if facts.blocked:
        return _("Borrowing is suspended for this card.")
    if _renewed_due(loan, policy, now, facts) <= loan.due_at:
        due = date_format(timezone.localtime(loan.due_at), _("D M j"))
        return _("Renewing today would not move the due date (%(date)s): try again later.") % {
            "date": due
        }
    return None


def _renewed_due(
    loan: Loan, policy, now: datetime.datetime, facts: _RenewalFacts
) -> datetime.datetime:
    """The due date a renewal now would give: the loan period counted from today."""
    return end_of_open_day(
        start=now,
        days=policy.loan_days,
        branch_id=loan.branch_id,
        calendar=facts.calendar(loan.branch_id),
    )


def _settle_late_days(loan: Loan, rule: CirculationRule, now: datetime.datetime) -> str:
    """An overdue loan is renewed: charge its late days now (the default) or forgive them,
    as the library policy says. Returns the sentence that tells the patron."""
    if loan.due_at >= now:
        return ""
    if library_policy().renew_overdue_charge != LibraryPolicy.RenewOverdue.CHARGE:
        return _("the late days were forgiven")
    amount = overdue_fine_amount(loan=loan, returned_at=now, rule=rule)
    if amount <= 0:
        return _("no fine for the late days (within the grace days)")
    Fine.objects.create(
        patron_id=loan.patron_id,
        loan=loan,
        reason=Fine.Reason.OVERDUE,
        amount=amount,
        assessed_at=now,
    )
    signals.charge(reason=Fine.Reason.OVERDUE, now=now, charged=amount)
    return _("overdue fine of $%(amount)s charged for the late days") % {"amount": amount}


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


@service
def loan_renew(
    *, loan: Loan, actor, override: Override | None = None, now: datetime.datetime | None = None
) -> Loan:
    """Extend a loan by its loan period, counted from today. A renewal that would not move
    the due date is refused (and not counted). An overdue loan's late days are charged or
    forgiven by policy; `loan.renewal_note` says which ("" when it was not overdue).
    `override` (the renewal limit, by a role that may, with a reason) renews past the limit;
    every other reason still refuses. A refusal for the limit alone says so in its
    `overridable` attribute."""
    now = _now(now)
    if override is not None:
        override = check_override(override, actor=actor)
    past_limit = override is not None and override.kind == OverrideKind.RENEWAL_LIMIT
    with transaction.atomic():
        loan = (
            Loan.objects.select_for_update(of=("self",))
            .select_related("item", "patron")
            .get(pk=loan.pk)
        )
        facts = _renewal_facts([loan], now)
        reason = _renewal_refusal(loan, facts, now, past_limit=past_limit)
        if reason:
            refusal = CirculationRefused(reason, code=CirculationRefusal.RENEWAL)
            if _renewal_refusal(loan, facts, now, past_limit=True) is None:
                refusal.overridable = OverrideKind.RENEWAL_LIMIT  # the limit alone refused
            raise refusal
        policy = _rule(loan, facts)
        at_limit = loan.renewals >= policy.max_renewals
        note = _settle_late_days(loan, policy, now)
        loan.due_at = _renewed_due(loan, policy, now, facts)
        loan.renewals = F("renewals") + 1
        loan.save(update_fields=["due_at", "renewals"])
        loan.refresh_from_db(fields=["renewals"])
        if past_limit and at_limit:
            record_override(loan, override, actor=actor)
        signals.renewal(
            item=loan.item,
            branch_id=loan.branch_id,
            patron_category=loan.patron.category_id,
            now=now,
        )
        patron_touch(patron=loan.patron, now=now)
        loan.renewal_note = note
        return loan


@service
def loan_renew_by_barcode(
    *, barcode: str, actor, override: Override | None = None, now: datetime.datetime | None = None
) -> Loan:
    loan = Loan.objects.filter(
        item__barcode=(barcode or "").strip(), returned_at__isnull=True
    ).first()
    if loan is None:
        if not Item.objects.filter(barcode=(barcode or "").strip()).exists():
            raise CirculationRefused(CirculationRefusal.UNKNOWN_ITEM)
        raise CirculationRefused(
            "This item is not checked out.", code=CirculationRefusal.NOT_ON_LOAN
        )
    return loan_renew(loan=loan, actor=actor, override=override, now=now)
