"""The privacy kernel's models, taken over from the patrons app (same tables)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("patrons", "0018_patron_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The tables exist: the patrons app made them when these models were its own. This
    # takes the models over in Django's state only (patrons 0019 lets them go).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExpungeRun",
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
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("dry_run", models.BooleanField(default=False)),
                        ("trigger", models.CharField(default="manual", max_length=20)),
                        (
                            "counts",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text='Per kind: {"loan": {"expunged": 3, ...}}',
                            ),
                        ),
                    ],
                    options={
                        "db_table": "patrons_expungerun",
                        "ordering": ["-started_at"],
                    },
                ),
                migrations.CreateModel(
                    name="RecordKindName",
                    fields=[
                        (
                            "name",
                            models.CharField(max_length=40, primary_key=True, serialize=False),
                        ),
                        ("label", models.CharField(max_length=100)),
                    ],
                    options={
                        "db_table": "patrons_recordkindname",
                        "ordering": ["label"],
                    },
                ),
                migrations.CreateModel(
                    name="RecordKindSet",
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
                    ],
                    options={
                        "db_table": "patrons_recordkindset",
                        "ordering": ["pk"],
                    },
                ),
                migrations.CreateModel(
                    name="RetentionPolicy",
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
                        ("kind", models.CharField(editable=False, max_length=40, unique=True)),
                        (
                            "days",
                            models.PositiveIntegerField(
                                help_text="Days after the record closes before it is expunged. 0 = at the next run."
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name_plural": "retention policies",
                        "db_table": "patrons_retentionpolicy",
                        "ordering": ["kind"],
                    },
                ),
                migrations.CreateModel(
                    name="LegalHold",
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
                        (
                            "every_kind",
                            models.BooleanField(
                                db_default=True,
                                default=True,
                                help_text="Keep every kind of the patron's records, including kinds added later.",
                                verbose_name="every kind of record",
                            ),
                        ),
                        ("covers_from", models.DateTimeField(blank=True, null=True)),
                        ("covers_until", models.DateTimeField(blank=True, null=True)),
                        ("reason", models.CharField(max_length=300)),
                        (
                            "reference",
                            models.CharField(
                                blank=True,
                                help_text="The request that set it, e.g. disclosure #12.",
                                max_length=100,
                            ),
                        ),
                        ("set_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("released_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "patron",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="legal_holds",
                                to="patrons.patron",
                            ),
                        ),
                        (
                            "released_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "set_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "kind_set",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="privacy.recordkindset",
                                verbose_name="kinds of record",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "patrons_legalhold",
                        "ordering": ["-set_at", "pk"],
                        "indexes": [
                            models.Index(
                                fields=["patron", "released_at"],
                                name="patrons_leg_patron__bd07e6_idx",
                            )
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("covers_until__isnull", True),
                                    ("covers_from__isnull", True),
                                    ("covers_until__gte", models.F("covers_from")),
                                    _connector="OR",
                                ),
                                name="legalhold_range_in_order",
                                violation_error_message="The end of the range is before its start.",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("every_kind", True), ("kind_set__isnull", True)),
                                    models.Q(("every_kind", False), ("kind_set__isnull", False)),
                                    _connector="OR",
                                ),
                                name="legalhold_every_kind_or_a_set",
                                violation_error_message="A hold keeps every kind of record, or the kinds named.",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="RecordKindSetMember",
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
                        (
                            "kind",
                            models.ForeignKey(
                                db_column="kind",
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="privacy.recordkindname",
                            ),
                        ),
                        (
                            "kind_set",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="members",
                                to="privacy.recordkindset",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "patrons_recordkindsetmember",
                        "ordering": ["kind_set", "kind"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("kind_set", "kind"),
                                name="recordkindset_member_once",
                                violation_error_message="A kind is named once in a set.",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
