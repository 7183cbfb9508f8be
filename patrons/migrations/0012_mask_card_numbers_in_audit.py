"""The audit log keeps a card number's last four digits only: entries written before
card numbers were masked lose the rest of the digits."""

import re

from django.db import migrations

CARD_NUMBER = re.compile(r"\b(\d{10})(\d{4})\b")


def _masked(value):
    if isinstance(value, str):
        return CARD_NUMBER.sub(lambda m: "…" + m.group(2), value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def mask_card_numbers(apps, schema_editor):
    LogEntry = apps.get_model("auditlog", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    card_type = ContentType.objects.filter(app_label="patrons", model="card").first()
    if card_type is None:
        return
    for entry in LogEntry.objects.filter(content_type=card_type).iterator():
        changes, text = _masked(entry.changes), _masked(entry.changes_text)
        if changes != entry.changes or text != entry.changes_text:
            LogEntry.objects.filter(pk=entry.pk).update(changes=changes, changes_text=text)


class Migration(migrations.Migration):
    dependencies = [
        ("patrons", "0011_legal_hold_kinds_constraints"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(mask_card_numbers, migrations.RunPython.noop)]
