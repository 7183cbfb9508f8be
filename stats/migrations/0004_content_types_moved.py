"""The content types (and so the permissions and any audit entries) of the statistics
tables taken over from the circulation app follow them to this app."""

from django.db import migrations

MOVED = (
    "circulationday",
    "titlemonth",
    "holdday",
    "holdwait",
    "chargeday",
    "overdueday",
    "computeruseday",
)


def _move(apps, source: str, target: str) -> None:
    """Each moved model's content type takes the target app's label. Where both exist
    (a migration between the two steps made permissions for the new label), the old one's
    audit entries and group permissions are carried over to the new one, then it goes."""
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group")
    log_entry = apps.get_model("auditlog", "LogEntry")
    for model in MOVED:
        old = content_type.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = content_type.objects.filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        log_entry.objects.filter(content_type=old).update(content_type=new)
        for old_permission in permission.objects.filter(content_type=old):
            new_permission, _ = permission.objects.get_or_create(
                content_type=new,
                codename=old_permission.codename,
                defaults={"name": old_permission.name},
            )
            for holder in group.objects.filter(permissions=old_permission):
                holder.permissions.add(new_permission)
            for user in old_permission.user_set.all():
                user.user_permissions.add(new_permission)
        old.delete()


def forwards(apps, schema_editor) -> None:
    _move(apps, "circulation", "stats")


def backwards(apps, schema_editor) -> None:
    _move(apps, "stats", "circulation")


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0003_statistics_models_from_circulation"),
        ("circulation", "0025_statistics_models_moved"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
