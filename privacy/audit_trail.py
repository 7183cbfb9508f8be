"""The audit trail of record kinds: masking, the client address in entries, and what
happens to the entries about a record when the expunge destroys it.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.context import disable_auditlog
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.deletion import SET_NULL, Collector, get_candidate_relations_to_delete

from core.client import client_ip
from core.db import in_values

MASK = "[hidden]"


def mask(value) -> str:
    """AUDITLOG_MASK_CALLABLE: masked fields keep their name, never their value; a card
    number keeps its last four digits, as staff read them out at the desk."""
    if isinstance(value, str) and len(value) == 14 and value.isdigit():
        return f"…{value[-4:]}"
    return MASK


class CalumetAuditlogMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with the client address from `client_ip`."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None  # X-Forwarded-Port is as forgeable as X-Forwarded-For


def delete_trail(model: type[models.Model], ids: Iterable) -> int:
    """Delete every audit entry about these records (changes and accesses)."""
    ids = [str(pk) for pk in ids]
    if not ids:
        return 0
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk__in=in_values(ids, sql_type="text"),
    )
    return entries._raw_delete(entries.db)


def delete_trail_of_patrons(patron_ids: Iterable[int]) -> int:
    """Delete every entry that names these patrons (accesses, sign-ins, changes of any
    of their records), in one statement (PostgreSQL finds them through an index on the
    patron key)."""
    patron_ids = list(patron_ids)
    if not patron_ids:
        return 0
    entries = LogEntry.objects.filter(additional_data__patron__in=in_values(patron_ids, json=True))
    return entries._raw_delete(entries.db)


def delete_quietly(
    queryset: models.QuerySet, pks: list | None = None
) -> dict[type[models.Model], list]:
    """Delete these rows, and what cascades with them, writing no audit entry; returns
    the primary keys deleted per model.

    django-auditlog's receivers would write one DELETE entry per row holding every old
    value. The expunge deletes the records' audit trail instead and keeps only its run's
    counts, so nothing of the record is left to match against the patron."""
    model = queryset.model
    relations = list(get_candidate_relations_to_delete(model._meta))
    if not model._meta.private_fields and all(rel.on_delete is SET_NULL for rel in relations):
        # Nothing cascades from it (at most, rows pointing at it lose the link, as a loan's
        # fines do): one UPDATE per such link and one DELETE, no rows loaded into Python.
        # (`pks`: the caller already knows them, and holds their rows locked.)
        if pks is None:
            pks = list(queryset.values_list("pk", flat=True))
        for rel in relations:
            rel.related_model._base_manager.using(queryset.db).filter(
                **{f"{rel.field.name}__in": in_values(pks, using=queryset.db)}
            ).update(**{rel.field.name: None})
        model._base_manager.filter(pk__in=in_values(pks, using=queryset.db))._raw_delete(
            queryset.db
        )
        return {model: pks}
    collector = Collector(using=queryset.db, origin=queryset)
    with disable_auditlog():
        collector.collect(queryset)
        deleted = {m: [obj.pk for obj in objs] for m, objs in collector.data.items()}
        collector.delete()
    return deleted
