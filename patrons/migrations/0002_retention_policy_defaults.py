"""Create one RetentionPolicy row per record kind with its rule's default days."""

from django.db import migrations


def create_defaults(apps, schema_editor):
    # Today's code, loaded only when this migration runs.
    from privacy.policy import ensure_retention_policies  # noqa: PLC0415

    ensure_retention_policies(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("patrons", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
