"""Payments record their method and receipt number (`circulation/models/payments.py`); a waiver's
reason is a choice, with an optional note. Reasons written before become the note, with
the reason "other" (or "found" for the lost items found and returned)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import circulation.models.payments
from staff.roles import migrate_roles

FOUND = "Lost item found and returned."


def reasons_to_choices(apps, schema_editor):
    Fine = apps.get_model("circulation", "Fine")
    for fine in Fine.objects.filter(waived_at__isnull=False).only("waive_reason"):
        text = fine.waive_reason
        fine.waive_note = "" if text == FOUND else text[:100]
        fine.waive_reason = "found" if text == FOUND else "other"
        fine.save(update_fields=["waive_reason", "waive_note"])
    Fine.objects.filter(waived_at__isnull=True).exclude(waive_reason="").update(waive_reason="")


def choices_to_reasons(apps, schema_editor):
    Fine = apps.get_model("circulation", "Fine")
    for fine in Fine.objects.filter(waived_at__isnull=False):
        fine.waive_reason = fine.waive_note or (FOUND if fine.waive_reason == "found" else "")
        fine.save(update_fields=["waive_reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0017_rule_patron_category_from_table"),
        ("patrons", "0017_patron_category_from_table"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FinePayment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "number",
                    models.CharField(db_index=True, max_length=40, verbose_name="receipt number"),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=circulation.models.payments._charge_kinds,
                        help_text="The kind of charge paid (the fine's reason).",
                        max_length=10,
                        verbose_name="paid for",
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=8)),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("cash", "Cash"),
                            ("card", "Credit or debit card"),
                            ("check", "Check"),
                        ],
                        max_length=5,
                    ),
                ),
                ("taken_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["-taken_at", "pk"],
                "verbose_name": "payment",
            },
        ),
        migrations.AddField(
            model_name="fine",
            name="waive_note",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=100,
                verbose_name="note on the waiver",
            ),
        ),
        migrations.RunPython(reasons_to_choices, choices_to_reasons),
        migrations.AlterField(
            model_name="fine",
            name="waive_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("hardship", "Financial hardship"),
                    ("library_error", "Library error"),
                    ("found", "Lost item found and returned"),
                    ("goodwill", "Goodwill (first time, fine amnesty)"),
                    ("other", "Other (see the note)"),
                ],
                max_length=20,
                verbose_name="reason for waiving",
            ),
        ),
        migrations.AddConstraint(
            model_name="fine",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("waive_reason", ""), ("waived_at__isnull", True)),
                    models.Q(
                        (
                            "waive_reason__in",
                            ["hardship", "library_error", "found", "goodwill", "other"],
                        ),
                        ("waived_at__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="fine_waiver_has_a_reason",
                violation_error_message="A waiver needs a reason from the list.",
            ),
        ),
        migrations.AddField(
            model_name="finepayment",
            name="branch",
            field=models.ForeignKey(
                help_text="Taken at.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="circulation.branch",
            ),
        ),
        migrations.AddField(
            model_name="finepayment",
            name="fine",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="payments",
                to="circulation.fine",
            ),
        ),
        migrations.AddField(
            model_name="finepayment",
            name="patron",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="patrons.patron",
            ),
        ),
        migrations.AddField(
            model_name="finepayment",
            name="taken_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="finepayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)),
                name="payment_amount_positive",
                violation_error_message="A payment must be more than $0.00.",
            ),
        ),
        migrations.AddConstraint(
            model_name="finepayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("method__in", ["cash", "card", "check"])),
                name="payment_method_known",
                violation_error_message="Choose how the patron paid: cash, card or check.",
            ),
        ),
        # Circulation staff see the payments.
        migrations.RunPython(migrate_roles, migrations.RunPython.noop),
    ]
