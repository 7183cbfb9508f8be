"""A disclosure scope's legal hold is the privacy kernel's model now."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disclosures", "0002_request_patrons_named"),
        ("privacy", "0001_initial"),
    ]

    # The same table and column: only Django's state learns the model's new app.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="disclosurescope",
                    name="legal_hold",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="privacy.legalhold",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
