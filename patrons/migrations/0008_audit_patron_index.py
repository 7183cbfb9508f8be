"""An index on the patron an audit entry names (`additional_data -> 'patron'`).

The expunge scrubs every entry naming the patrons it deletes, and the access reports and
the patron's "who has looked" page look entries up by patron: without it each of those is
a scan of the whole audit log. The table is django-auditlog's, so the index is made here.
PostgreSQL only; SQLite installs are small enough to scan."""

from django.db import migrations

INDEX = "calumet_logentry_patron_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} "
            "ON auditlog_logentry ((additional_data -> 'patron'))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0007_roles_disclosures"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(create, drop)]
