"""Staff record disclosure requests; Library administrators decide them."""

from django.db import migrations


def sync(apps, schema_editor):
    from patrons.roles import sync_roles

    sync_roles(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0006_roles_legal_holds"),
        ("disclosures", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
