"""Bring the staff groups up to date with staff/roles.py, now that the retention, expunge
and legal hold permissions are this app's."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0002_content_types_moved"),
        ("circulation", "0022_remove_branch_opening_hours"),
        ("sip2", "0003_event_kinds"),
        ("stats", "0002_roles"),
        ("disclosures", "0003_legal_hold_in_privacy"),
    ]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
