"""Library administrators may view, place and release legal holds."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [("patrons", "0005_legal_hold")]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
