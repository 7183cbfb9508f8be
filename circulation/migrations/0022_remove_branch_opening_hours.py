# A branch's opening hours are only the calendar's rows per weekday (OpeningHours), which
# due dates and pickup deadlines follow and the public home page shows. The free text
# field is removed. Text cannot be read into hours reliably, so it is not converted: the
# migration prints each branch's text, so that it is entered per weekday on the branch's
# page (docs/desk.md, "The library calendar"), instead of vanishing unseen.

import sys

from django.db import migrations


def print_the_text_removed(apps, schema_editor):
    Branch = apps.get_model("circulation", "Branch")
    typed = Branch.objects.exclude(opening_hours="").order_by("name")
    for name, text in typed.values_list("name", "opening_hours"):
        sys.stdout.write(
            f"\n  {name}: opening hours typed as text are removed ({text!r}); "
            "enter them per weekday on the branch's page (Settings > Branches)."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0021_closed_day_constraints_checked_by_forms"),
    ]

    operations = [
        migrations.RunPython(print_the_text_removed, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="branch", name="opening_hours"),
    ]
