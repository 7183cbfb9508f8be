"""The audit trail of record kinds: masking, the client address in entries, and what
happens to the entries about a record when the expunge destroys it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from auditlog.middleware import AuditlogMiddleware
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from calumet.client import client_ip
from calumet.db import in_values

MASK = "[hidden]"


def mask(value) -> str:
    """AUDITLOG_MASK_CALLABLE: masked fields keep their name, never any of their value."""
    return MASK


class CalumetAuditlogMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with the client address from `client_ip`."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None  # X-Forwarded-Port is as forgeable as X-Forwarded-For


def audit_scrub_for(model: type[models.Model], ids: Iterable, kind_name: str) -> int:
    """Entries about expunged records keep who, when and which action; they lose the
    record's representation, the changes, the address and the patron link."""
    from auditlog.models import LogEntry

    ids = [str(pk) for pk in ids]
    if not ids:
        return 0
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk__in=in_values(ids, sql_type="text"),
    ).update(
        object_repr=EXPUNGED,
        changes=None,
        changes_text="",
        serialized_data=None,
        remote_addr=None,
        additional_data={"kind": kind_name, "expunged": True},
    )


def audit_scrub_for_patrons(patron_ids: Iterable[int]) -> int:
    """Every entry that names these patrons (accesses, sign-ins, records of any kind), in
    one statement (PostgreSQL finds them through an index on the patron key)."""
    from auditlog.models import LogEntry

    patron_ids = list(patron_ids)
    if not patron_ids:
        return 0
    return LogEntry.objects.filter(additional_data__patron__in=patron_ids).update(
        object_repr=EXPUNGED,
        changes=None,
        changes_text="",
        serialized_data=None,
        remote_addr=None,
        additional_data={"expunged": True},
    )


def delete_scrubbed(
    queryset: models.QuerySet, pks: list | None = None
) -> dict[type[models.Model], list]:
    """Delete these rows, and what cascades with them, for the expunge; returns the
    primary keys deleted per model.

    django-auditlog's receivers would write one DELETE entry per row, one insert each,
    holding every field's old value, only for `audit_scrub_for` to erase them a moment
    later. They are switched off here and the same entries are written in one statement
    per model, already in their scrubbed form: when, which record, the action (R11)."""
    from auditlog.context import disable_auditlog
    from auditlog.registry import auditlog
    from django.db.models.deletion import Collector

    model = queryset.model
    if not model._meta.related_objects and not model._meta.private_fields:
        # Nothing cascades from it: one DELETE, no rows loaded into Python. (`pks`: the
        # caller already knows them, and holds their rows locked.)
        if pks is None:
            pks = list(queryset.values_list("pk", flat=True))
        model._base_manager.filter(pk__in=in_values(pks, using=queryset.db))._raw_delete(
            queryset.db
        )
        deleted = {model: pks}
    else:
        collector = Collector(using=queryset.db, origin=queryset)
        with disable_auditlog():
            collector.collect(queryset)
            deleted = {m: [obj.pk for obj in objs] for m, objs in collector.data.items()}
            collector.delete()
    for deleted_model, pks in deleted.items():
        if pks and auditlog.contains(deleted_model):
            _log_deletions(deleted_model, pks, using=queryset.db)
    return deleted


def _log_deletions(model: type[models.Model], pks: list, *, using: str) -> None:
    """One scrubbed DELETE entry per record, written by the database from the list of
    keys in one INSERT ... SELECT (a model instance and its field preparation per entry
    would cost more than the deletion itself). Not `insert_entries`: every column but
    the key is the same for the whole batch, and sending it once per row made the
    expunge a quarter slower."""
    from auditlog.models import LogEntry
    from django.db import connections

    connection = connections[using]
    data = {"kind": model._meta.model_name, "expunged": True}
    constants = [
        ContentType.objects.db_manager(using).get_for_model(model).pk,
        EXPUNGED,
        LogEntry.Action.DELETE,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        connection.ops.adapt_json_value(data, LogEntry._meta.get_field("additional_data").encoder),
    ]
    quote = connection.ops.quote_name
    insert = (
        f"INSERT INTO {quote(LogEntry._meta.db_table)} ("
        + ", ".join(
            quote(c)
            for c in (
                "object_pk",
                "object_id",
                "content_type_id",
                "object_repr",
                "action",
                "timestamp",
                "additional_data",
                "changes_text",
            )
        )
        + ")"
    )
    ints = all(isinstance(pk, int) for pk in pks)
    with connection.cursor() as cursor:
        if ints and connection.vendor == "postgresql":
            cursor.execute(
                f"{insert} SELECT k::text, k, %s, %s, %s, %s, %s, '' "  # noqa: S608
                "FROM unnest(%s::bigint[]) AS k",
                [*constants, pks],
            )
        elif ints and connection.vendor == "sqlite":
            cursor.execute(
                f"{insert} SELECT CAST(value AS TEXT), value, %s, %s, %s, %s, %s, '' "  # noqa: S608
                "FROM json_each(%s)",
                [*constants, json.dumps(pks)],
            )
        else:
            cursor.executemany(
                f"{insert} VALUES (%s, %s, %s, %s, %s, %s, %s, '')",
                [(str(pk), pk if isinstance(pk, int) else None, *constants) for pk in pks],
            )


EXPUNGED = "[expunged]"
