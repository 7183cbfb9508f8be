"""Patron.category refers to a PatronCategory row (the column keeps the code)."""

import django.db.models.deletion
from django.db import migrations, models

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0016_patron_categories"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patron",
            name="category",
            field=models.ForeignKey(
                db_column="category",
                default="adult",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patrons.patroncategory",
            ),
        ),
        # The library administrator edits the categories.
        migrations.RunPython(migrate_roles, migrations.RunPython.noop),
    ]
