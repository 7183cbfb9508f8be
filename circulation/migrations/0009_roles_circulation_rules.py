"""Staff see the circulation rules; Library administrators edit them (they replace the
loan policies in the roles table)."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0008_circulation_rules"),
        ("patrons", "0012_mask_card_numbers_in_audit"),
    ]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
