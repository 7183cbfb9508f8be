"""Legal holds lose their free-text kinds (0010 converted them); the database checks that
a hold keeps every kind or a set of registered kinds, and that only the patron turns the
reading history on."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patrons", "0010_legal_hold_kinds_from_text")]

    operations = [
        migrations.RemoveField(
            model_name="legalhold",
            name="kinds",
        ),
        migrations.AddConstraint(
            model_name="patron",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("keep_reading_history", False),
                    ("reading_history_via__in", ["portal", "desk_pin", "unrecorded"]),
                    _connector="OR",
                ),
                name="patron_reading_history_on_by_patron",
                violation_error_message="Only the patron can turn their reading history on.",
            ),
        ),
        migrations.AddConstraint(
            model_name="patron",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("keep_reading_history", True),
                    ("reading_history_via__in", ["", "staff_request", "portal"]),
                    _connector="OR",
                ),
                name="patron_reading_history_off_how",
                violation_error_message="Reading history is off: say how it was turned off.",
            ),
        ),
        migrations.AddConstraint(
            model_name="patron",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("reading_history_via__in", ["desk_pin", "staff_request"]), _negated=True
                    ),
                    models.Q(("reading_history_staff_role", ""), _negated=True),
                    _connector="OR",
                ),
                name="patron_reading_history_staff_role",
                violation_error_message="Record the role of the staff member who served.",
            ),
        ),
        migrations.AddConstraint(
            model_name="legalhold",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("every_kind", True), ("kind_set__isnull", True)),
                    models.Q(("every_kind", False), ("kind_set__isnull", False)),
                    _connector="OR",
                ),
                name="legalhold_every_kind_or_a_set",
                violation_error_message="A hold keeps every kind of record, or the kinds named.",
            ),
        ),
    ]
