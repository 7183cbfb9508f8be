"""Renewals: whether a loan can be renewed, and renewing it (one loan or a patron's all)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circulation import signals
from circulation.exceptions import CirculationRefusal, CirculationRefused
from circulation.models import Fine, Item, Loan
from circulation.models.lending import OverrideKind
from circulation.models.policy import LibraryPolicy, library_policy
from circulation.models.rules import CirculationRule
from circulation.selectors.charges import overdue_fine_amount
from circulation.selectors.renewals import (
    loan_rule,
    refusal_with_facts,
    renewal_facts,
    renewed_due,
)
from circulation.services._common import _now
from circulation.services.overrides import Override, check_override, record_override
from patrons.services import patron_touch
from privacy.acting import service


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
        facts = renewal_facts([loan], now)
        reason = refusal_with_facts(loan, facts, now, past_limit=past_limit)
        if reason:
            refusal = CirculationRefused(reason, code=CirculationRefusal.RENEWAL)
            if refusal_with_facts(loan, facts, now, past_limit=True) is None:
                refusal.overridable = OverrideKind.RENEWAL_LIMIT  # the limit alone refused
            raise refusal
        policy = loan_rule(loan, facts)
        at_limit = loan.renewals >= policy.max_renewals
        note = _settle_late_days(loan, policy, now)
        loan.due_at = renewed_due(loan, policy, now, facts)
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
