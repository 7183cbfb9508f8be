"""Librarians and library administrators may read the statistics (staff.roles names the
permission; this brings the groups up to date once it exists)."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("patrons", "0012_mask_card_numbers_in_audit"),
        ("sip2", "0002_roles"),
    ]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
