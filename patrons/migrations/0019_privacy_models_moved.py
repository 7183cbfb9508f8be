"""The retention policies, expunge runs, record kind names and sets and legal holds moved
to the privacy app (privacy 0001 takes them over with the same tables): they leave this
app's state only; no table changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0018_patron_language"),
        ("privacy", "0001_initial"),
        ("disclosures", "0003_legal_hold_in_privacy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="LegalHold"),
                migrations.DeleteModel(name="RecordKindSetMember"),
                migrations.DeleteModel(name="RecordKindSet"),
                migrations.DeleteModel(name="RecordKindName"),
                migrations.DeleteModel(name="ExpungeRun"),
                migrations.DeleteModel(name="RetentionPolicy"),
            ],
            database_operations=[],
        ),
    ]
