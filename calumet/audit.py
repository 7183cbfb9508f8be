"""Audit helpers shared by every app: access logging, the client address, masking, and
scrubbing entries about expunged records.

django-auditlog records creates, changes and deletes of every record kind (the registry
registers them). It does not record reads; `log_access` does, for every page, list and
export that shows patron records, as ACCESS entries written in one bulk insert. Entries
carry the patron's id in `additional_data["patron"]` (patrons are not users), so the
patron access report and the patron's own "who has looked at my record" page can find
them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .db import in_values

MASK = "[hidden]"


def mask(value) -> str:
    """AUDITLOG_MASK_CALLABLE: masked fields keep their name, never any of their value."""
    return MASK


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.CALUMET_TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request) -> str | None:
    """The client's address. `X-Forwarded-For` is believed only when the request came
    from a proxy listed in CALUMET_TRUSTED_PROXIES, and then only up to the first hop
    that is not itself a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR") or None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not remote or not forwarded or not _trusted(remote):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed header: keep the address we can vouch for
        if not _trusted(hop):
            return hop
    return hops[0] if hops else remote


class CalumetAuditlogMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with the client address from `client_ip`."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None  # X-Forwarded-Port is as forgeable as X-Forwarded-For


def _staff_actor(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def _staff_context(request, actor) -> dict:
    """Role and branch of the staff member, as the patron will be shown them."""
    if actor is None:
        return {}
    groups = sorted(actor.groups.values_list("name", flat=True))
    context = {
        "role": groups[0] if groups else ("Administrator" if actor.is_superuser else "Staff")
    }
    # The branch the staff member chose at the desk ("Working at"), if any.
    desk = getattr(request, "session", {}).get("calumet_desk", {}) if request else {}
    if isinstance(desk, dict) and desk.get("branch_name"):
        context["branch"] = desk["branch_name"]
    return context


def log_access(
    records: Iterable[models.Model],
    *,
    request,
    page: str,
    patron=None,
    event: str | None = None,
    confidential: bool = False,
) -> int:
    """Write one ACCESS entry per record shown, in one insert. Returns the count.

    `patron` is the subject when known (portal pages); otherwise each record's own
    patron is found through the record registry. Entries never hold a title or a name:
    `object_repr` is the record's opaque `__str__`.
    """
    from auditlog.models import LogEntry

    from patrons.registry import registry

    actor = _staff_actor(request)
    base = {"page": page, **_staff_context(request, actor)}
    if event:
        base["event"] = event
    if confidential:
        # Part of a disclosure: hidden from the patron's own access page, since a court
        # may forbid telling the patron (administrators still see it in the reports).
        base["confidential"] = True
    address = client_ip(request) if request is not None else None
    now = timezone.now()
    entries = []
    seen = set()
    for record in records:
        if record is None:
            continue
        model = type(record)
        key = (model, record.pk)
        if key in seen:
            continue
        seen.add(key)
        kind = registry.for_model(model)
        data = dict(base)
        if kind is not None:
            data["kind"] = kind.name
            subject = patron.pk if patron is not None else patron_id_of(record)
            if subject is not None:
                data["patron"] = subject
        entries.append(
            {
                "content_type_id": ContentType.objects.get_for_model(model).pk,
                "object_pk": str(record.pk),
                "object_id": record.pk if isinstance(record.pk, int) else None,
                "object_repr": str(record)[:200],
                "action": LogEntry.Action.ACCESS,
                "actor_id": actor.pk if actor else None,
                "actor_email": (getattr(actor, "email", None) or None) if actor else None,
                "remote_addr": address,
                "additional_data": data,
                "timestamp": now,
                "changes_text": "",
            }
        )
    insert_entries(entries)
    return len(entries)


#: The columns of django-auditlog's table an access entry fills, with their types.
ENTRY_COLUMNS = {
    "content_type_id": "integer",
    "object_pk": "text",
    "object_id": "bigint",
    "object_repr": "text",
    "action": "smallint",
    "actor_id": "integer",
    "actor_email": "text",
    "remote_addr": "inet",
    "additional_data": "jsonb",
    "timestamp": "timestamptz",
    "changes_text": "text",
}


def insert_entries(rows: list[dict], using: str = "default") -> None:
    """Write audit entries (dicts of ENTRY_COLUMNS) in one INSERT. An account page shows
    forty records and writes forty entries; a model instance and its field preparation
    for each cost more than the insert (the benchmark's audit overhead, issue 9)."""
    from auditlog.models import LogEntry
    from django.db import connections

    if not rows:
        return
    connection = connections[using]
    ops = connection.ops
    encoder = LogEntry._meta.get_field("additional_data").encoder

    def adapt(column: str, value):
        if value is None:
            return None
        if column == "additional_data":
            return ops.adapt_json_value(value, encoder)
        if column == "timestamp":
            return ops.adapt_datetimefield_value(value)
        if column == "remote_addr":
            return ops.adapt_ipaddressfield_value(value)
        return value

    columns = list(ENTRY_COLUMNS)
    head = (
        f"INSERT INTO {ops.quote_name(LogEntry._meta.db_table)} "
        f"({', '.join(ops.quote_name(c) for c in columns)})"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array per column: the statement has eleven parameters, whatever the rows.
            cursor.execute(
                f"{head} SELECT * FROM unnest("  # noqa: S608  (column names, not input)
                + ", ".join(f"%s::{ENTRY_COLUMNS[c]}[]" for c in columns)
                + ")",
                [[adapt(c, row.get(c)) for row in rows] for c in columns],
            )
            return
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"{head} VALUES " + ", ".join([row_sql] * len(chunk)),
                [adapt(c, row.get(c)) for row in chunk for c in columns],
            )


def patron_id_of(record: models.Model) -> int | None:
    """The id of the patron a registered record belongs to (None once anonymised)."""
    from patrons.registry import registry

    kind = registry.for_model(type(record))
    if kind is None:
        return None
    if not kind.patron_path:
        return record.pk
    if "__" not in kind.patron_path:
        return getattr(record, f"{kind.patron_path}_id", None)
    value = record
    for part in kind.patron_path.split("__"):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value.pk if value is not None else None


class AccessAuditedAdmin:
    """Mixin for every ModelAdmin that shows patron records: the change page logs the
    object (and the records its inlines show); a change list or search result logs each
    row on the page, in one insert."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            context = getattr(response, "context_data", None) or {}
            original = context.get("original")
            if original is not None:
                if hasattr(response, "render"):
                    response.render()
                records = [original]
                for inline in context.get("inline_admin_formsets", []):
                    records.extend(
                        form.instance
                        for form in inline.formset.forms
                        if form.instance.pk is not None
                    )
                log_access(records, request=request, page=self._audit_page("change"))
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            changelist = (getattr(response, "context_data", None) or {}).get("cl")
            if changelist is not None:
                if hasattr(response, "render"):
                    response.render()  # evaluates the page's rows once, for both uses
                log_access(
                    list(changelist.result_list), request=request, page=self._audit_page("list")
                )
        return response

    def _audit_page(self, view: str) -> str:
        opts = self.model._meta
        return f"admin:{opts.app_label}.{opts.model_name}:{view}"


def audit_scrub_for(model: type[models.Model], ids: Iterable) -> int:
    """Entries about expunged records keep who, when and which action; they lose the
    record's representation, the changes, the address and the patron link."""
    from auditlog.models import LogEntry

    from patrons.registry import registry

    ids = [str(pk) for pk in ids]
    if not ids:
        return 0
    kind = registry.for_model(model)
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk__in=in_values(ids, sql_type="text"),
    ).update(
        object_repr=EXPUNGED,
        changes=None,
        changes_text="",
        serialized_data=None,
        remote_addr=None,
        additional_data={"kind": kind.name if kind else model._meta.model_name, "expunged": True},
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
    import json

    from auditlog.models import LogEntry
    from django.db import connections

    from patrons.registry import registry

    connection = connections[using]
    kind = registry.for_model(model)
    data = {"kind": kind.name if kind else model._meta.model_name, "expunged": True}
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
