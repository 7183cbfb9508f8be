"""Access entries: which staff member (or which patron) saw which patron's records.

django-auditlog records creates, changes and deletes of every record kind (the registry
registers them). It does not record reads; `log_access` does, for every page, list and
export that shows patron records, as ACCESS entries written in one bulk insert.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from calumet.client import client_ip

from .registry import registry


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
    access: str = "opened",
    confidential: bool = False,
) -> int:
    """Write one ACCESS entry per record shown, in one insert. Returns the count.

    `patron` is the subject when known (portal pages); otherwise each record's own
    patron is found through the record registry. Entries never hold a title or a name:
    `object_repr` is the record's opaque `__str__`.
    """
    from auditlog.models import LogEntry

    actor = _staff_actor(request)
    if access not in ("opened", "listed"):
        raise ValueError(f"access must be 'opened' or 'listed', not {access!r}")
    base = {"page": page, "access": access, **_staff_context(request, actor)}
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
            subject = patron.pk if patron is not None else kind.patron_id_of(record)
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
