"""The content types (and so the permissions and any audit entries) of the statistics
tables taken over from the circulation app follow them to this app."""

from django.db import migrations

from core.model_moves import content_types_follow

MOVED = (
    "circulationday",
    "titlemonth",
    "holdday",
    "holdwait",
    "chargeday",
    "overdueday",
    "computeruseday",
)


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0003_statistics_models_from_circulation"),
        ("circulation", "0025_statistics_models_moved"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [content_types_follow(MOVED, source="circulation", target="stats")]
