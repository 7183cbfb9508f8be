"""Bring the staff groups up to date with staff/roles.py (loan policies, fine waivers)."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0003_staff_roles"),
        ("circulation", "0004_default_loan_policies"),
    ]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
