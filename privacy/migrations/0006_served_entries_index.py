"""An index on the patron of the audit entries that are a patron's own transactions
(those with a "served" key: `privacy.served`).

The expunge reduces the transaction entries of the patrons whose records it removes, in
the transaction of each batch; through the index on every entry's patron it read all
their entries (their records' creation and changes too, about twenty for each one kept)
to find those few. This one holds only the transaction entries (and the month entries
they are reduced to), so each batch reads about what it reduces. The table is
django-auditlog's, so the index is made here. PostgreSQL only; SQLite installs are small
enough to scan."""

from django.db import migrations

INDEX = "calumet_logentry_served_patron_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} "
            "ON auditlog_logentry ((additional_data -> 'patron')) "
            "WHERE additional_data ? 'served'"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0005_erasure_journal_and_restore"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(create, drop)]
