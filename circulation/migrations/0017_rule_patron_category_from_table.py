"""A circulation rule's patron category refers to a PatronCategory row (the column keeps
the code); "any category" becomes NULL instead of ""."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce


def empty_to_null(apps, schema_editor):
    CirculationRule = apps.get_model("circulation", "CirculationRule")
    PatronCategory = apps.get_model("patrons", "PatronCategory")
    CirculationRule.objects.filter(patron_category="").update(patron_category=None)
    # A rule for a category nobody created in the table keeps it: the category is added
    # under its code, for the library administrator to name.
    known = set(PatronCategory.objects.values_list("code", flat=True))
    for code in (
        CirculationRule.objects.exclude(patron_category__isnull=True)
        .values_list("patron_category", flat=True)
        .distinct()
    ):
        if code not in known:
            PatronCategory.objects.create(code=code, name=code.replace("_", " ").capitalize())


def null_to_empty(apps, schema_editor):
    CirculationRule = apps.get_model("circulation", "CirculationRule")
    CirculationRule.objects.filter(patron_category__isnull=True).update(patron_category="")


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0016_title_stored_search_vector"),
        ("patrons", "0017_patron_category_from_table"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="circulationrule", name="circulationrule_one_per_branch_cell"
        ),
        migrations.RemoveConstraint(
            model_name="circulationrule", name="circulationrule_one_per_cell"
        ),
        migrations.AlterField(
            model_name="circulationrule",
            name="patron_category",
            field=models.CharField(max_length=20, null=True, blank=True),
        ),
        migrations.RunPython(empty_to_null, null_to_empty),
        migrations.AlterField(
            model_name="circulationrule",
            name="patron_category",
            field=models.ForeignKey(
                blank=True,
                db_column="patron_category",
                help_text="Empty = any category.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="patrons.patroncategory",
            ),
        ),
        migrations.AddConstraint(
            model_name="circulationrule",
            constraint=models.UniqueConstraint(
                Coalesce("patron_category", Value("")),
                "item_type",
                "branch",
                condition=Q(branch__isnull=False),
                name="circulationrule_one_per_branch_cell",
                violation_error_message="There is already a rule for this branch, category "
                "and item type.",
            ),
        ),
        migrations.AddConstraint(
            model_name="circulationrule",
            constraint=models.UniqueConstraint(
                Coalesce("patron_category", Value("")),
                "item_type",
                condition=Q(branch__isnull=True),
                name="circulationrule_one_per_cell",
                violation_error_message="There is already a rule for any branch with this "
                "category and item type.",
            ),
        ),
    ]
