"""The content types (and so the permissions of the staff roles and the audit log's
entries) of the models taken over from the patrons app follow them to this app."""

from django.db import migrations

from core.model_moves import content_types_follow

MOVED = (
    "retentionpolicy",
    "expungerun",
    "recordkindname",
    "recordkindset",
    "recordkindsetmember",
    "legalhold",
)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("patrons", "0019_privacy_models_moved"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [content_types_follow(MOVED, source="patrons", target="privacy")]
