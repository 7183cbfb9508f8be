"""The statistics tables moved to the stats app: state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0024_statistics_generalised_rows"),
    ]

    # The anonymous statistics tables became the stats app's (stats 0003 takes them
    # over with the same tables): they leave this app's state only; no table changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="ChargeDay",
                ),
                migrations.RemoveField(
                    model_name="computeruseday",
                    name="branch",
                ),
                migrations.RemoveField(
                    model_name="holdday",
                    name="branch",
                ),
                migrations.RemoveField(
                    model_name="holdwait",
                    name="branch",
                ),
                migrations.RemoveField(
                    model_name="overdueday",
                    name="branch",
                ),
                migrations.RemoveField(
                    model_name="titlemonth",
                    name="title",
                ),
                migrations.DeleteModel(
                    name="CirculationDay",
                ),
                migrations.DeleteModel(
                    name="ComputerUseDay",
                ),
                migrations.DeleteModel(
                    name="HoldDay",
                ),
                migrations.DeleteModel(
                    name="HoldWait",
                ),
                migrations.DeleteModel(
                    name="OverdueDay",
                ),
                migrations.DeleteModel(
                    name="TitleMonth",
                ),
            ],
            database_operations=[],
        ),
    ]
