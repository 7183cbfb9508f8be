"""Circulation rules: patron category x item type x branch, the most specific rule wins.

A rule with an empty category, item type or branch applies to any. For a loan the rule is
looked up with the patron's category, the copy's item type and the branch where it was
checked out (for a hold: the copy's home branch). The first of these that exists wins,
in this fixed order (as Koha's circulation rules do):

  1. branch + category + item type     5. any branch + category + item type
  2. branch + category + any type      6. any branch + category + any type
  3. branch + any category + item type 7. any branch + any category + item type
  4. branch + any category + any type  8. any branch + any category + any type

When no rule matches, the built-in defaults of the fields below apply. `RuleBook` loads
the (small) table once, so a page listing many loans does not query per loan.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce

from circulation.models.catalog import Item
from patrons.models import Patron


def _item_types():
    return Item.ItemType.choices


def _categories():
    """The categories' former static choices (migration 0008 names this function)."""
    return Patron.Category.choices


class CirculationRule(models.Model):
    """One row of the circulation rules matrix."""

    patron_category = models.ForeignKey(
        "patrons.PatronCategory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="patron_category",
        related_name="+",
        help_text="Empty = any category.",
    )
    item_type = models.CharField(
        max_length=20, blank=True, choices=_item_types, help_text="Empty = any item type."
    )
    branch = models.ForeignKey(
        "circulation.Branch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="circulation_rules",
        help_text="Empty = every branch.",
    )
    loan_days = models.PositiveSmallIntegerField(default=21)
    max_renewals = models.PositiveSmallIntegerField("renewals", default=2)
    daily_fine = models.DecimalField(
        "fine per day", max_digits=6, decimal_places=2, default=Decimal("0.25")
    )
    grace_days = models.PositiveSmallIntegerField(
        default=1, help_text="Days late without a fine. Beyond them, every late day is charged."
    )
    max_fine = models.DecimalField(
        "maximum fine",
        max_digits=6,
        decimal_places=2,
        default=Decimal("5.00"),
        help_text="Cap per loan.",
    )
    max_loans = models.PositiveSmallIntegerField(
        "loans allowed",
        default=30,
        help_text="Open loans a patron may have: of this item type, or of all types when the "
        "rule is for any type.",
    )
    max_holds = models.PositiveSmallIntegerField(
        "holds allowed", default=20, help_text="Active holds a patron may have."
    )
    holdable = models.BooleanField(default=True, help_text="Whether holds are allowed at all.")

    class Meta:
        ordering = ["branch__name", "patron_category", "item_type", "pk"]
        # An empty category means "any": compared as "" so that two "any" rules for the
        # same cell collide (NULLs never do in a unique index).
        constraints = [
            models.UniqueConstraint(
                Coalesce("patron_category", Value("")),
                "item_type",
                "branch",
                condition=Q(branch__isnull=False),
                name="circulationrule_one_per_branch_cell",
                violation_error_message="There is already a rule for this branch, category "
                "and item type.",
            ),
            models.UniqueConstraint(
                Coalesce("patron_category", Value("")),
                "item_type",
                condition=Q(branch__isnull=True),
                name="circulationrule_one_per_cell",
                violation_error_message="There is already a rule for any branch with this "
                "category and item type.",
            ),
            models.CheckConstraint(
                condition=Q(loan_days__gt=0), name="circulationrule_loan_days_positive"
            ),
            models.CheckConstraint(
                condition=Q(daily_fine__gte=0, max_fine__gte=0),
                name="circulationrule_fines_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Rule #{self.pk}" if self.pk else "Default rule"

    @property
    def scope(self) -> str:
        """ "Adult / DVD / any branch": which cell of the matrix this rule fills."""
        category = self.patron_category.name if self.patron_category_id else "any category"
        item_type = self.get_item_type_display() if self.item_type else "any type"
        branch = self.branch.name if self.branch_id else "any branch"
        return f"{category} / {item_type} / {branch}"

    @property
    def summary(self) -> str:
        """What the desk shows beside a loan: "21 days, 2 renewals, $0.25/day"."""
        return (
            f"{self.loan_days} days, {self.max_renewals} renewals, ${self.daily_fine}/day"
            f" after {self.grace_days} grace, max ${self.max_fine}"
        )


class RuleBook:
    """Every rule, loaded once; `.find()` resolves the most specific without a query."""

    def __init__(self, rules=None) -> None:
        rules = CirculationRule.objects.all() if rules is None else rules
        self._cells = {(r.branch_id, r.patron_category_id, r.item_type): r for r in rules}

    def find(
        self, *, category: str | None, item_type: str, branch_id: int | None
    ) -> CirculationRule:
        """`category` is a patron category's code (None or "": the "any category" row)."""
        category = category or None
        for branch in (branch_id, None) if branch_id is not None else (None,):
            for cell in ((category, item_type), (category, ""), (None, item_type), (None, "")):
                rule = self._cells.get((branch, *cell))
                if rule is not None:
                    return rule
        return CirculationRule()  # the built-in defaults

    def for_loan(self, loan) -> CirculationRule:
        return self.find(
            category=loan.patron.category_id,
            item_type=loan.item.item_type,
            branch_id=loan.branch_id,
        )


def rule_for(*, category: str, item_type: str, branch_id: int | None) -> CirculationRule:
    """The rule for one lookup (one query)."""
    candidates = CirculationRule.objects.filter(
        Q(branch_id=branch_id) | Q(branch__isnull=True),
        Q(patron_category_id=category) | Q(patron_category__isnull=True),
        item_type__in=[item_type, ""],
    )
    return RuleBook(candidates).find(category=category, item_type=item_type, branch_id=branch_id)
