"""Loan periods and overdue fines per item type, editable afterwards in the admin."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    # item type: (loan days, renewals, daily fine, maximum fine, grace days)
    "book": (21, 2, "0.25", "5.00", 1),
    "large_print": (28, 2, "0.25", "5.00", 1),
    "audiobook": (21, 2, "0.25", "5.00", 1),
    "dvd": (7, 1, "1.00", "10.00", 0),
    "magazine": (7, 0, "0.10", "2.00", 1),
}


def create(apps, schema_editor):
    LoanPolicy = apps.get_model("circulation", "LoanPolicy")
    for item_type, (days, renewals, daily, maximum, grace) in DEFAULTS.items():
        LoanPolicy.objects.get_or_create(
            item_type=item_type,
            defaults={
                "loan_days": days,
                "max_renewals": renewals,
                "daily_fine": Decimal(daily),
                "max_fine": Decimal(maximum),
                "grace_days": grace,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("circulation", "0003_loan_policy_notices")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
