# One closed day per branch and date, now without a condition (a NULL branch never collides
# in a unique index, so the rule is the same) so that the branch page's inline form checks
# it and answers with an error instead of a database error; both rules get a message.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0020_closed_days_names"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="branchclosure",
            name="branchclosure_one_per_branch_day",
        ),
        migrations.AddConstraint(
            model_name="branchclosure",
            constraint=models.UniqueConstraint(
                fields=("branch", "date"),
                name="branchclosure_one_per_branch_day",
                violation_error_message="This branch already has a closed day on this date.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="branchclosure",
            name="branchclosure_one_per_day",
            constraint=models.UniqueConstraint(
                condition=models.Q(("branch__isnull", True)),
                fields=("date",),
                name="branchclosure_one_per_day",
                violation_error_message="All branches already have a closed day on this date.",
            ),
        ),
    ]
