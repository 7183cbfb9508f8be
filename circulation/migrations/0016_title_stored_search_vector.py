"""The catalog search's vector stored in a column kept by a trigger (PostgreSQL only), so
that ranking reads it instead of computing it for every title found.

The column is not a model field: Django never writes it, the trigger does, on every
insert and on every update of the title or its search text (bulk_create, raw SQL and
imports included). Title words weigh more (weight A) than the rest (author, subjects,
series, ISBNs), so a title that has the words in its title ranks first. On SQLite this
migration does nothing.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE circulation_title ADD COLUMN IF NOT EXISTS search_vector tsvector",
    """CREATE OR REPLACE FUNCTION circulation_title_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('simple'::regconfig, public.unaccent(coalesce(NEW.title, ''))), 'A')
            || to_tsvector('english'::regconfig, coalesce(NEW.search_text, ''))
            || to_tsvector('simple'::regconfig, coalesce(NEW.search_text, ''));
        RETURN NEW;
    END
    $$""",
    "DROP TRIGGER IF EXISTS circulation_title_search_vector ON circulation_title",
    """CREATE TRIGGER circulation_title_search_vector
    BEFORE INSERT OR UPDATE OF title, search_text ON circulation_title
    FOR EACH ROW EXECUTE FUNCTION circulation_title_search_vector()""",
    "UPDATE circulation_title SET title = title",  # fills the column for existing titles
    "DROP INDEX IF EXISTS title_search_gin",
    # New titles go straight into the index rather than a pending list that every search
    # would scan until the next vacuum: imports are rare, searches are not.
    "CREATE INDEX title_search_gin ON circulation_title USING gin (search_vector) "
    "WITH (fastupdate = off)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS title_search_gin",
    "DROP TRIGGER IF EXISTS circulation_title_search_vector ON circulation_title",
    "DROP FUNCTION IF EXISTS circulation_title_search_vector()",
    "ALTER TABLE circulation_title DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX title_search_gin ON circulation_title USING gin "
    "((to_tsvector('english'::regconfig, search_text) || to_tsvector('simple'::regconfig, search_text))) "
    "WITH (fastupdate = off)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("circulation", "0015_title_catalog_fields")]

    operations = [migrations.RunPython(forward, backward)]
