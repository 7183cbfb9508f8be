"""The desk's patron search by the folded words of the names and the phone's digits
(`Patron.search_key`, patrons/search_key.py): the column, filled in for every patron, and
on PostgreSQL a GIN index of its words (the expression `patrons.selectors.patron_search`
queries), which answers "a word starts with" for each typed word. An index for the search
by email address too. On SQLite the same search reads the column without an index.
"""

import django.db.models.functions.text
from django.db import migrations, models

from patrons.search_key import search_key

CHUNK = 2000

# Written as patrons.selectors.SEARCH_KEY_WORDS writes it, so that the search uses it.
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS patron_search_key_gin ON patrons_patron USING gin "
    "((array_to_tsvector(array_remove(string_to_array(search_key, ' '), '')))) "
    "WITH (fastupdate = off)"
)
DROP_INDEX = "DROP INDEX IF EXISTS patron_search_key_gin"


def fill_search_key(apps, schema_editor):
    Patron = apps.get_model("patrons", "Patron")
    last = 0
    while True:
        rows = list(
            Patron.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "first_name", "last_name", "phone", "search_key")[:CHUNK]
        )
        if not rows:
            return
        for row in rows:
            row.search_key = search_key(
                first_name=row.first_name, last_name=row.last_name, phone=row.phone
            )
        Patron.objects.bulk_update(rows, ["search_key"])
        last = rows[-1].pk


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0022_remove_branch_opening_hours"),
        ("patrons", "0020_block_reason_kiosk"),
    ]

    operations = [
        migrations.AddField(
            model_name="patron",
            name="search_key",
            field=models.TextField(blank=True, db_default="", default="", editable=False),
        ),
        migrations.AddIndex(
            model_name="patron",
            index=models.Index(
                django.db.models.functions.text.Upper("email"), name="patron_email_upper"
            ),
        ),
        migrations.RunPython(fill_search_key, migrations.RunPython.noop),
        migrations.RunPython(create_gin, drop_gin),
    ]
