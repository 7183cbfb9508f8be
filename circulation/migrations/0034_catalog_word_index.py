"""The catalog's word index (PostgreSQL): a title's words in a table of their own, under
one covering B-tree, kept by a trigger; it replaces the stored search vector and its GIN
index (migration title_stored_search_vector), from which the search visited one title row
per title found to rank it and count its facets. On SQLite this migration only creates
the (unused) table.

`circulation_title_vector(title, search_text)` is the vector the search matches, as
before: the title's own words (unaccented, 'simple') weighted A, then the search text
stemmed in English and kept whole ('simple'). The trigger writes one row per lexeme of it.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

#: Every title's words (also the benchmark's, after inserting its titles).
FILL = """INSERT INTO circulation_titleword
        (title_id, word, in_title, format, language, publication_year)
    SELECT t.id, v.lexeme, 'A' = ANY(v.weights), t.format, t.language, t.publication_year
    FROM circulation_title t, unnest(circulation_title_vector(t.title, t.search_text)) v"""

FORWARD = [
    """CREATE OR REPLACE FUNCTION circulation_title_vector(title text, search_text text)
    RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('simple'::regconfig, public.unaccent(coalesce(title, ''))), 'A')
            || to_tsvector('english'::regconfig, coalesce(search_text, ''))
            || to_tsvector('simple'::regconfig, coalesce(search_text, ''))
    $$""",
    """CREATE OR REPLACE FUNCTION circulation_title_words() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            DELETE FROM circulation_titleword WHERE title_id = OLD.id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO circulation_titleword
                (title_id, word, in_title, format, language, publication_year)
            SELECT NEW.id, lexeme, 'A' = ANY(weights), NEW.format, NEW.language,
                   NEW.publication_year
            FROM unnest(circulation_title_vector(NEW.title, NEW.search_text));
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER circulation_title_words
    AFTER INSERT OR DELETE OR UPDATE OF title, search_text, format, language, publication_year
    ON circulation_title FOR EACH ROW EXECUTE FUNCTION circulation_title_words()""",
    FILL,
    "DROP INDEX IF EXISTS title_search_gin",
    "DROP TRIGGER IF EXISTS circulation_title_search_vector ON circulation_title",
    "DROP FUNCTION IF EXISTS circulation_title_search_vector()",
    "ALTER TABLE circulation_title DROP COLUMN IF EXISTS search_vector",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS circulation_title_words ON circulation_title",
    "DROP FUNCTION IF EXISTS circulation_title_words()",
    "DROP FUNCTION IF EXISTS circulation_title_vector(text, text)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)
        stored = importlib.import_module("circulation.migrations.0016_title_stored_search_vector")
        for statement in stored.FORWARD:  # the stored vector and its GIN index, again
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0033_fine_unsettled_loan_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="TitleWord",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "title",
                        "word",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("word", models.TextField()),
                ("in_title", models.BooleanField()),
                (
                    "format",
                    models.CharField(
                        choices=[
                            ("book", "Book"),
                            ("large_print", "Large print"),
                            ("audiobook", "Audiobook"),
                            ("dvd", "DVD / video"),
                            ("magazine", "Magazine"),
                            ("music", "Music recording"),
                            ("score", "Music score"),
                            ("map", "Map"),
                            ("electronic", "Electronic resource"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                    ),
                ),
                ("language", models.CharField(blank=True, max_length=3)),
                ("publication_year", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "title",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="circulation.title",
                    ),
                ),
            ],
            options={
                "verbose_name": "catalog index word",
                "indexes": [
                    models.Index(
                        fields=["word", "title"],
                        include=("in_title", "format", "language", "publication_year"),
                        name="title_word_search",
                        opclasses=["text_pattern_ops", "int8_ops"],
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
