"""Bring the staff groups up to date with staff/roles.py: circulation staff register
patrons, renew registrations, issue temporary PINs and replace cards at the desk."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [("patrons", "0014_card_statuses")]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
