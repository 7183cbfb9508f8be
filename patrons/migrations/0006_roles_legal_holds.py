"""Library administrators may view, place and release legal holds."""

from django.db import migrations


def sync(apps, schema_editor):
    from patrons.roles import sync_roles

    sync_roles(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("patrons", "0005_legal_hold")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
