"""Staff record disclosure requests; Library administrators decide them."""

from django.db import migrations

from staff.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0006_roles_legal_holds"),
        ("disclosures", "0001_initial"),
    ]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
