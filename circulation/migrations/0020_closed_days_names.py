# Staff call the calendar's closures "Closed days"; one with no branch is "All branches".

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0019_statistics_overdue_and_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="branchclosure",
            options={
                "ordering": ["date", "pk"],
                "verbose_name": "closed day",
                "verbose_name_plural": "closed days",
            },
        ),
        migrations.AlterField(
            model_name="branchclosure",
            name="branch",
            field=models.ForeignKey(
                blank=True,
                help_text="All branches: every branch is closed that day.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="closures",
                to="circulation.branch",
            ),
        ),
    ]
