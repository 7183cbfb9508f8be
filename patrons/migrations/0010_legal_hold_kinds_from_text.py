"""Existing legal holds: their free-text kinds become kinds of the registry.

Split on commas, strip spaces, lower-case ("hold, loan" names hold and loan). An empty
value means every kind, as it always did; a word that is not a kind a hold can name also
means every kind: holding more than asked is safe, holding less is not.

Patrons who keep a reading history from before this are marked "unrecorded": the library
did not record how it was turned on (the portal tells them, and how to turn it off)."""

from django.db import migrations

from privacy.legal_holds import (
    holdable_names,
    kind_set_for,
    normalise_legacy_kinds,
    sync_record_kind_names,
)


def forwards(apps, schema_editor):
    sync_record_kind_names(apps=apps)
    legal_hold = apps.get_model("patrons", "LegalHold")
    known = set(holdable_names())
    for hold in legal_hold.objects.all():
        names = normalise_legacy_kinds(hold.kinds, known)
        if names is None:
            hold.every_kind, hold.kind_set = True, None
        else:
            hold.every_kind, hold.kind_set = False, kind_set_for(names, apps=apps)
        hold.save(update_fields=["every_kind", "kind_set"])
    patron = apps.get_model("patrons", "Patron")
    patron.objects.filter(keep_reading_history=True).update(reading_history_via="unrecorded")


def backwards(apps, schema_editor):
    legal_hold = apps.get_model("patrons", "LegalHold")
    member = apps.get_model("patrons", "RecordKindSetMember")
    for hold in legal_hold.objects.filter(every_kind=False, kind_set__isnull=False):
        names = sorted(
            member.objects.filter(kind_set_id=hold.kind_set_id).values_list("kind_id", flat=True)
        )
        hold.kinds = ",".join(names)
        hold.save(update_fields=["kinds"])
    patron = apps.get_model("patrons", "Patron")
    patron.objects.filter(reading_history_via="unrecorded").update(reading_history_via="")


class Migration(migrations.Migration):
    dependencies = [("patrons", "0009_record_kinds_and_reading_history_schema")]

    operations = [migrations.RunPython(forwards, backwards)]
