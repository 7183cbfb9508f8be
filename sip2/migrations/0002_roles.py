"""Library administrators manage the SIP2 terminal accounts (staff.roles names the
permissions; this brings the groups up to date once the models exist)."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("sip2", "0001_initial"),
        ("patrons", "0008_audit_patron_index"),
    ]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
