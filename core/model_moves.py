"""Moving a model from one app to another keeps its table (the migrations change Django's
state only); its content type must follow it, and with it the staff roles' permissions and
the audit log's entries. For the data migrations that take over such models."""

from django.db import migrations


def move_content_types(apps, models: tuple[str, ...], source: str, target: str) -> None:
    """Each moved model's content type takes the target app's label. Where both exist
    (a migration between the two steps made permissions for the new label), the old one's
    audit entries and group permissions are carried over to the new one, then it goes."""
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group")
    log_entry = apps.get_model("auditlog", "LogEntry")
    for model in models:
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


def content_types_follow(models: tuple[str, ...], *, source: str, target: str):
    """The RunPython operation moving these models' content types from `source` to
    `target` (and back when the migration is reversed)."""

    def forwards(apps, schema_editor) -> None:
        move_content_types(apps, models, source, target)

    def backwards(apps, schema_editor) -> None:
        move_content_types(apps, models, target, source)

    return migrations.RunPython(forwards, backwards)
