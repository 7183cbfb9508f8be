"""Circulation rules (category x item type x branch) replace the per-item-type loan
policies: a data migration turns each policy into a rule for any category and branch."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models

import circulation.models.rules

FIELDS = ("loan_days", "max_renewals", "daily_fine", "max_fine", "grace_days")


def policies_to_rules(apps, schema_editor):
    """Each item type's loan policy becomes a rule for any category at any branch; one
    rule for any category, type and branch keeps the former global loan limit (30)."""
    LoanPolicy = apps.get_model("circulation", "LoanPolicy")
    CirculationRule = apps.get_model("circulation", "CirculationRule")
    for policy in LoanPolicy.objects.all():
        CirculationRule.objects.get_or_create(
            patron_category="",
            item_type=policy.item_type,
            branch=None,
            defaults={name: getattr(policy, name) for name in FIELDS},
        )
    CirculationRule.objects.get_or_create(patron_category="", item_type="", branch=None)


def rules_to_policies(apps, schema_editor):
    LoanPolicy = apps.get_model("circulation", "LoanPolicy")
    CirculationRule = apps.get_model("circulation", "CirculationRule")
    for rule in CirculationRule.objects.filter(patron_category="", branch=None).exclude(
        item_type=""
    ):
        LoanPolicy.objects.get_or_create(
            item_type=rule.item_type, defaults={name: getattr(rule, name) for name in FIELDS}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0007_usage_statistics"),
    ]

    operations = [
        migrations.CreateModel(
            name="CirculationRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "patron_category",
                    models.CharField(
                        blank=True,
                        choices=circulation.models.rules._categories,
                        help_text="Empty = any category.",
                        max_length=20,
                    ),
                ),
                (
                    "item_type",
                    models.CharField(
                        blank=True,
                        choices=circulation.models.rules._item_types,
                        help_text="Empty = any item type.",
                        max_length=20,
                    ),
                ),
                ("loan_days", models.PositiveSmallIntegerField(default=21)),
                (
                    "max_renewals",
                    models.PositiveSmallIntegerField(default=2, verbose_name="renewals"),
                ),
                (
                    "daily_fine",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.25"),
                        max_digits=6,
                        verbose_name="fine per day",
                    ),
                ),
                (
                    "grace_days",
                    models.PositiveSmallIntegerField(
                        default=1,
                        help_text="Days late without a fine. Beyond them, every late day is charged.",
                    ),
                ),
                (
                    "max_fine",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("5.00"),
                        help_text="Cap per loan.",
                        max_digits=6,
                        verbose_name="maximum fine",
                    ),
                ),
                (
                    "max_loans",
                    models.PositiveSmallIntegerField(
                        default=30,
                        help_text="Open loans a patron may have: of this item type, or of all types when the rule is for any type.",
                        verbose_name="loans allowed",
                    ),
                ),
                (
                    "max_holds",
                    models.PositiveSmallIntegerField(
                        default=20,
                        help_text="Active holds a patron may have.",
                        verbose_name="holds allowed",
                    ),
                ),
                (
                    "holdable",
                    models.BooleanField(
                        default=True, help_text="Whether holds are allowed at all."
                    ),
                ),
                (
                    "branch",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty = every branch.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="circulation_rules",
                        to="circulation.branch",
                    ),
                ),
            ],
            options={
                "ordering": ["branch__name", "patron_category", "item_type", "pk"],
            },
        ),
        migrations.AddField(
            model_name="loan",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                help_text="The circulation rule that applied at check-out (empty: the defaults).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="circulation.circulationrule",
            ),
        ),
        migrations.AddConstraint(
            model_name="circulationrule",
            constraint=models.UniqueConstraint(
                condition=models.Q(("branch__isnull", False)),
                fields=("patron_category", "item_type", "branch"),
                name="circulationrule_one_per_branch_cell",
                violation_error_message="There is already a rule for this branch, category and item type.",
            ),
        ),
        migrations.AddConstraint(
            model_name="circulationrule",
            constraint=models.UniqueConstraint(
                condition=models.Q(("branch__isnull", True)),
                fields=("patron_category", "item_type"),
                name="circulationrule_one_per_cell",
                violation_error_message="There is already a rule for any branch with this category and item type.",
            ),
        ),
        migrations.AddConstraint(
            model_name="circulationrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("loan_days__gt", 0)), name="circulationrule_loan_days_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="circulationrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("daily_fine__gte", 0), ("max_fine__gte", 0)),
                name="circulationrule_fines_non_negative",
            ),
        ),
        migrations.RunPython(policies_to_rules, rules_to_policies),
        migrations.DeleteModel(
            name="LoanPolicy",
        ),
    ]
