"""Circulation staff see and collect online sign-ups (staff.roles names the permission;
this brings the groups up to date once it exists)."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [("patrons", "0022_online_signup"), ("staff", "0001_role_changes")]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
