"""Legal holds name record kinds from the registry (RecordKindName, RecordKindSet);
who turned a patron's reading history on or off, and how. Schema only: the holds' free
text is converted in 0010 and removed in 0011, with the new constraints."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0006_loan_newest_first_index"),
        ("patrons", "0008_audit_patron_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordKindName",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("label", models.CharField(max_length=100)),
            ],
            options={
                "ordering": ["label"],
            },
        ),
        migrations.CreateModel(
            name="RecordKindSet",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "ordering": ["pk"],
            },
        ),
        migrations.CreateModel(
            name="RecordKindSetMember",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "ordering": ["kind_set", "kind"],
            },
        ),
        migrations.AddField(
            model_name="legalhold",
            name="every_kind",
            field=models.BooleanField(
                db_default=True,
                default=True,
                help_text="Keep every kind of the patron's records, including kinds added later.",
                verbose_name="every kind of record",
            ),
        ),
        migrations.AddField(
            model_name="patron",
            name="reading_history_branch",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="circulation.branch",
            ),
        ),
        migrations.AddField(
            model_name="patron",
            name="reading_history_changed_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="patron",
            name="reading_history_staff_role",
            field=models.CharField(
                blank=True,
                choices=[
                    ("circulation", "Circulation staff"),
                    ("librarian", "Librarian"),
                    ("administrator", "Library administrator"),
                    ("staff", "Library staff"),
                ],
                db_default="",
                default="",
                editable=False,
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="patron",
            name="reading_history_via",
            field=models.CharField(
                blank=True,
                choices=[
                    ("portal", "in the portal"),
                    ("desk_pin", "at the desk, confirmed with your PIN"),
                    ("staff_request", "by library staff at your request"),
                    ("unrecorded", "before the library recorded how"),
                ],
                db_default="",
                default="",
                editable=False,
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="patron",
            name="keep_reading_history",
            field=models.BooleanField(
                default=False,
                help_text="The patron chose to keep returned loans as their own reading history. Only the patron turns it on (portal, or the desk with their PIN).",
            ),
        ),
        migrations.AddField(
            model_name="legalhold",
            name="kind_set",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patrons.recordkindset",
                verbose_name="kinds of record",
            ),
        ),
        migrations.AddField(
            model_name="recordkindsetmember",
            name="kind",
            field=models.ForeignKey(
                db_column="kind",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patrons.recordkindname",
            ),
        ),
        migrations.AddField(
            model_name="recordkindsetmember",
            name="kind_set",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="members",
                to="patrons.recordkindset",
            ),
        ),
        migrations.AddConstraint(
            model_name="recordkindsetmember",
            constraint=models.UniqueConstraint(
                fields=("kind_set", "kind"),
                name="recordkindset_member_once",
                violation_error_message="A kind is named once in a set.",
            ),
        ),
    ]
