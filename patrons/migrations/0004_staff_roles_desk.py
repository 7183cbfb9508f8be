"""Bring the staff groups up to date with patrons/roles.py (loan policies, fine waivers)."""

from django.db import migrations


def sync(apps, schema_editor):
    from patrons.roles import sync_roles

    sync_roles(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0003_staff_roles"),
        ("circulation", "0004_default_loan_policies"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
