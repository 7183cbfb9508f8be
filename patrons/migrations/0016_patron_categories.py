"""Patron categories become data the library administrator edits, seeded with the
categories every library starts with. The codes are the ones patrons already carry and
the statistics tables count under."""

from django.db import migrations, models

SEED = [
    ("adult", "Adult"),
    ("child", "Child"),
    ("young_adult", "Young adult"),
    ("senior", "Senior"),
    ("non_resident", "Non-resident"),
    ("staff", "Staff"),
]


def seed(apps, schema_editor):
    category = apps.get_model("patrons", "PatronCategory")
    patron = apps.get_model("patrons", "Patron")
    for code, name in SEED:
        category.objects.get_or_create(code=code, defaults={"name": name})
    # Any code already in use that the seed does not know keeps working under its code.
    for code in patron.objects.values_list("category", flat=True).distinct():
        category.objects.get_or_create(
            code=code, defaults={"name": code.replace("_", " ").capitalize()}
        )


class Migration(migrations.Migration):
    dependencies = [("patrons", "0015_roles_registration")]

    operations = [
        migrations.CreateModel(
            name="PatronCategory",
            fields=[
                (
                    "code",
                    models.SlugField(
                        help_text="Short and stable: statistics are counted under it. Lower case, no spaces.",
                        max_length=20,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True)),
            ],
            options={"ordering": ["name"], "verbose_name_plural": "patron categories"},
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
