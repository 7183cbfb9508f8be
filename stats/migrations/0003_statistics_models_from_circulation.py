"""The anonymous statistics tables, taken over from the circulation app (same tables)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0025_statistics_models_moved"),
        ("stats", "0002_roles"),
    ]

    # The tables exist: the circulation app made them when these models were its own
    # (they keep their `circulation_` names). This takes the models over in Django's
    # state only (circulation 0024 lets them go).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ChargeDay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField()),
                        ("reason", models.CharField(max_length=20)),
                        ("charged", models.PositiveIntegerField(default=0)),
                        (
                            "amount_charged",
                            models.DecimalField(decimal_places=2, default=0, max_digits=12),
                        ),
                        (
                            "amount_paid",
                            models.DecimalField(decimal_places=2, default=0, max_digits=12),
                        ),
                        (
                            "amount_waived",
                            models.DecimalField(decimal_places=2, default=0, max_digits=12),
                        ),
                        (
                            "generalised",
                            models.BooleanField(db_default=False, default=False, editable=False),
                        ),
                    ],
                    options={
                        "verbose_name": "charges per day",
                        "verbose_name_plural": "charges per day",
                        "db_table": "circulation_chargeday",
                        "ordering": ["day", "reason"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("day", "reason", "generalised"),
                                name="chargeday_one_per_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="CirculationDay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField()),
                        ("item_type", models.CharField(max_length=20)),
                        ("patron_category", models.CharField(max_length=20)),
                        ("checkouts", models.PositiveIntegerField(default=0)),
                        ("renewals", models.PositiveIntegerField(default=0)),
                        ("returns", models.PositiveIntegerField(default=0)),
                        (
                            "generalised",
                            models.BooleanField(db_default=False, default=False, editable=False),
                        ),
                        (
                            "branch",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="circulation.branch",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "circulation per day",
                        "verbose_name_plural": "circulation per day",
                        "db_table": "circulation_circulationday",
                        "ordering": ["day", "branch", "item_type", "patron_category"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=(
                                    "day",
                                    "branch",
                                    "item_type",
                                    "patron_category",
                                    "generalised",
                                ),
                                name="circulationday_one_per_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ComputerUseDay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField()),
                        ("sessions", models.PositiveIntegerField(default=0)),
                        ("minutes", models.PositiveIntegerField(default=0)),
                        (
                            "generalised",
                            models.BooleanField(db_default=False, default=False, editable=False),
                        ),
                        (
                            "branch",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="circulation.branch",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "computer use per day",
                        "verbose_name_plural": "computer use per day",
                        "db_table": "circulation_computeruseday",
                        "ordering": ["day", "branch"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("day", "branch", "generalised"),
                                name="computeruseday_one_per_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HoldDay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField()),
                        ("placed", models.PositiveIntegerField(default=0)),
                        ("filled", models.PositiveIntegerField(default=0)),
                        ("cancelled", models.PositiveIntegerField(default=0)),
                        ("expired", models.PositiveIntegerField(default=0)),
                        (
                            "generalised",
                            models.BooleanField(db_default=False, default=False, editable=False),
                        ),
                        (
                            "branch",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="circulation.branch",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "holds per day",
                        "verbose_name_plural": "holds per day",
                        "db_table": "circulation_holdday",
                        "ordering": ["day", "branch"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("day", "branch", "generalised"), name="holdday_one_per_key"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HoldWait",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("month", models.DateField()),
                        ("wait_days", models.PositiveSmallIntegerField()),
                        ("filled", models.PositiveIntegerField(default=0)),
                        (
                            "branch",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="circulation.branch",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "circulation_holdwait",
                        "ordering": ["month", "branch", "wait_days"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("month", "branch", "wait_days"), name="holdwait_one_per_key"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="OverdueDay",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField()),
                        ("overdue", models.PositiveIntegerField(default=0)),
                        (
                            "branch",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="circulation.branch",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "overdue copies per day",
                        "verbose_name_plural": "overdue copies per day",
                        "db_table": "circulation_overdueday",
                        "ordering": ["day", "branch"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("day", "branch"), name="overdueday_one_per_key"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="TitleMonth",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("month", models.DateField()),
                        ("checkouts", models.PositiveIntegerField(default=0)),
                        (
                            "generalised",
                            models.BooleanField(db_default=False, default=False, editable=False),
                        ),
                        (
                            "title",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="circulation.title",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "title circulation per month",
                        "verbose_name_plural": "title circulation per month",
                        "db_table": "circulation_titlemonth",
                        "ordering": ["month", "title"],
                        "indexes": [
                            models.Index(
                                fields=["month", "-checkouts"], name="titlemonth_month_top"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("month", "title", "generalised"),
                                name="titlemonth_one_per_key",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
