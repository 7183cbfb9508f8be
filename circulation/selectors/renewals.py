"""Whether loans can be renewed now, and why not: read by the renewal services, the
desk and the portal (one patron's loans in a fixed number of queries)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from circulation.models import Hold, Loan
from circulation.models.calendar import BranchCalendar, end_of_open_day
from circulation.models.policy import library_policy
from circulation.models.rules import CirculationRule, RuleBook
from patrons.models import Patron
from patrons.selectors import blocks_in_force


@dataclass
class RenewalFacts:
    rules: RuleBook
    categories: dict
    held_by_others: set
    blocked: bool
    #: Each branch's calendar: those of the loans' branches given by `renewal_facts`, any
    #: other loaded the first time a loan of that branch needs it.
    calendars: dict = field(default_factory=dict)
    #: The due date a renewal now would give, by (branch, loan days): forty loans of one
    #: patron share a handful of them.
    renewed: dict = field(default_factory=dict)

    #: The refusal "would not move the due date", by the local day it names.
    unmoved: dict = field(default_factory=dict)

    def not_moved(self, due_at: datetime.datetime) -> str:
        day = timezone.localdate(due_at)
        if day not in self.unmoved:
            due = date_format(day, _("D M j"))
            self.unmoved[day] = _(
                "Renewing today would not move the due date (%(date)s): try again later."
            ) % {"date": due}
        return self.unmoved[day]

    def calendar(self, branch_id: int | None) -> BranchCalendar:
        if branch_id not in self.calendars:
            self.calendars[branch_id] = BranchCalendar(branch_id)
        return self.calendars[branch_id]


def renewal_facts(
    loans: list[Loan], now: datetime.datetime, blocks: list | None = None, patron=None
) -> RenewalFacts:
    """What renewal decisions need, for many loans of one patron in six queries (five
    when the caller has the patron, whose category is then not read again), whatever
    the number of loans and of branches they were made at."""
    title_ids = {loan.item.title_id for loan in loans}
    patron_ids = {loan.patron_id for loan in loans}
    held = set(
        Hold.objects.filter(title_id__in=title_ids, status__in=Hold.ACTIVE_STATUSES)
        .exclude(patron_id__in=patron_ids)
        .values_list("title_id", flat=True)
    )
    if patron is not None and patron_ids <= {patron.pk}:
        categories = {patron.pk: patron.category_id}
    else:
        categories = dict(Patron.objects.filter(pk__in=patron_ids).values_list("pk", "category"))
    if blocks is None:  # the caller may already know the patron's blocks in force
        patron = loans[0].patron if loans and loans[0].patron_id else None
        blocks = blocks_in_force(patron=patron, now=now) if patron else []
    blocked = bool(blocks)
    return RenewalFacts(
        rules=RuleBook(),
        categories=categories,
        held_by_others=held,
        blocked=blocked,
        # Every branch the loans were made at, in two queries (not two per branch).
        calendars=BranchCalendar.of_branches({loan.branch_id for loan in loans}),
    )


def loan_rule(loan: Loan, facts: RenewalFacts) -> CirculationRule:
    return facts.rules.find(
        category=facts.categories.get(loan.patron_id, ""),
        item_type=loan.item.item_type,
        branch_id=loan.branch_id,
    )


def refusal_with_facts(
    loan: Loan, facts: RenewalFacts, now: datetime.datetime, *, past_limit: bool = False
) -> str | None:
    if loan.returned_at is not None:
        return _("This loan has already been returned.")
    policy = loan_rule(loan, facts)
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
    if renewed_due(loan, policy, now, facts) <= loan.due_at:
        return facts.not_moved(loan.due_at)
    return None


def renewed_due(
    loan: Loan, policy, now: datetime.datetime, facts: RenewalFacts
) -> datetime.datetime:
    """The due date a renewal now would give: the loan period counted from today."""
    key = (loan.branch_id, policy.loan_days, now)
    if key not in facts.renewed:
        facts.renewed[key] = end_of_open_day(
            start=now,
            days=policy.loan_days,
            branch_id=loan.branch_id,
            calendar=facts.calendar(loan.branch_id),
        )
    return facts.renewed[key]


def renewal_refusal(*, loan: Loan, now: datetime.datetime | None = None) -> str | None:
    """Why this loan cannot be renewed now, or None when it can."""
    now = now or timezone.now()
    return refusal_with_facts(loan, renewal_facts([loan], now), now)


def renewal_refusals(
    *,
    loans: list[Loan],
    now: datetime.datetime | None = None,
    blocks: list | None = None,
    patron=None,
) -> dict:
    """{loan id: reason or None} for one patron's loans, in a fixed number of queries.
    `blocks`, `patron`: the patron's blocks in force and the patron, when the caller has
    them already."""
    now = now or timezone.now()
    if not loans:
        return {}
    facts = renewal_facts(loans, now, blocks, patron)
    return {loan.pk: refusal_with_facts(loan, facts, now) for loan in loans}
