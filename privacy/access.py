"""Access entries: which staff member (or which patron) saw which patron's records.

django-auditlog records creates, changes and deletes of every record kind (the registry
registers them). It does not record reads; `log_access` does, for every page, list and
export that shows patron records, as ACCESS entries written in one bulk insert.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models
from django.utils import timezone

from core.client import client_ip
from core.groups import group_names
from privacy.registry import registry


def _staff_actor(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def _staff_context(request, actor) -> dict:
    """Role and branch of the staff member, as the patron will be shown them."""
    if actor is None:
        return {}
    groups = sorted(group_names(actor))
    context = {
        "role": groups[0] if groups else ("Administrator" if actor.is_superuser else "Staff")
    }
    # The branch the staff member chose at the desk ("Working at"), if any.
    desk = getattr(request, "session", {}).get("calumet_desk", {}) if request else {}
    if isinstance(desk, dict) and desk.get("branch_name"):
        context["branch"] = desk["branch_name"]
    return context


#: Page name prefix -> what the staff member was doing, in the patron's words ("during a
#: check-out"). Each app registers its own pages (`register_purpose`).
_PURPOSES: dict[str, str] = {}


#: Page name prefixes where staff serve the patron in front of them (the desk's check-out,
#: check-in, renewals, payments, hold shelf, computers): their entries are the patron's
#: own transaction, not a look at their record (`served_by`).
_SERVING: set[str] = set()

#: How a transaction entry says who served the patron, once it is reduced to its month.
DESK, KIOSK, PORTAL = "desk", "kiosk", "portal"


def register_purpose(page_prefix: str, words: str, *, serving: bool = False) -> None:
    """`serving`: the page serves the patron in a transaction of theirs (a desk page),
    so what it writes is reduced with the transaction's records (docs/audit.md)."""
    _PURPOSES[page_prefix] = words
    if serving:
        _SERVING.add(page_prefix)


def served_by(page: str, *, actor, who: dict | None, confidential: bool) -> str | None:
    """Whether an entry is written by the patron's own transaction, and through what:
    a desk page serving them ("desk"), a self-service terminal ("kiosk"), their own portal
    pages and sign-in ("portal"). None: a staff look outside a transaction (a search, the
    patron's page, a report, an export, a disclosure), kept as it is for the audit.

    Decided when the entry is written, from the page: the nightly run reduces the
    transaction entries of a patron to their month once records of theirs are removed
    (`privacy.served.reduce_served`)."""
    if confidential:
        return None
    if page.startswith("portal:"):
        return PORTAL
    if who is not None and page.startswith("sip2:"):
        return KIOSK
    if actor is not None and any(page.startswith(prefix) for prefix in _SERVING):
        return DESK
    return None


def purpose_of(page: str) -> str:
    """The words for a page, from the longest registered prefix that matches it."""
    best = ""
    for prefix in _PURPOSES:
        if page.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return _PURPOSES.get(best, "while looking at library records")


def log_access(
    records: Iterable[models.Model],
    *,
    request,
    page: str,
    patron=None,
    event: str | None = None,
    access: str = "opened",
    confidential: bool = False,
    who: dict | None = None,
    remembered: dict | None = None,
    lookup: bool = False,
) -> int:
    """Record that the records shown on a page were seen. Returns the entries written.

    One entry per patron whose records were shown, never one per record: the entry is
    about the patron (who, when, which page, opened or only listed, and how many records
    of each kind), so it names no other record and keeps nothing that an expunged record
    could be matched on. The same page showing the same patron to the same person again
    within CALUMET_AUDIT_REPEAT_MINUTES writes nothing more (a reload is not a new look).

    `patron` is the subject when known (portal pages); otherwise each record's patron is
    found through the registry, and records that belong to no patron are not logged.
    `who` describes a reader that is not a signed-in user (a self-check terminal:
    {"role": "Self-check kiosk 2", "branch": "Main"}).

    `remembered`: a reader's own memory of when it was last logged as seeing a patron on
    a page, kept by a caller that serves one reader for a while (a SIP2 connection, a
    desk transaction): {(patron id, page, access): when}. A patron in it within the
    repeat window is left out without asking the database again; the entries written
    or found are added to it.

    `lookup`: the records are a search's matches, looked up rather than served, even on
    a page that serves a patron (the desk's patron search): a look, kept as written. The
    one then picked and served is marked so (`served_from_lookup`).
    """
    if access not in ("opened", "listed"):
        raise ValueError(f"access must be 'opened' or 'listed', not {access!r}")
    actor = _staff_actor(request)
    kinds_by_patron: dict[int, dict[str, int]] = {}
    seen = set()
    for record in records:
        if record is None or (type(record), record.pk) in seen:
            continue
        seen.add((type(record), record.pk))
        kind = registry.for_model(type(record))
        if kind is None:
            continue
        subject = patron.pk if patron is not None else kind.patron_id_of(record)
        if subject is None:
            continue
        counts = kinds_by_patron.setdefault(subject, {})
        counts[kind.name] = counts.get(kind.name, 0) + 1
    if not kinds_by_patron:
        return 0
    now = timezone.now()
    patron_type = ContentType.objects.get_for_model(registry.get("patron").model)
    if not confidential and not event:
        if remembered is not None:
            since = now - datetime.timedelta(minutes=settings.CALUMET_AUDIT_REPEAT_MINUTES)
            kinds_by_patron = {
                pk: counts
                for pk, counts in kinds_by_patron.items()
                if remembered.get((pk, page, access), since) <= since
            }
            if not kinds_by_patron:
                return 0
        kinds_by_patron = _not_seen_lately(
            kinds_by_patron,
            actor=actor,
            page=page,
            access=access,
            now=now,
            who=who,
            remembered=remembered,
        )
        if remembered is not None:
            for pk in kinds_by_patron:  # the entries written below, at `now`
                remembered[(pk, page, access)] = now
    base = {"page": page, "access": access, **(who or _staff_context(request, actor))}
    if event:
        base["event"] = event
    served = None if lookup else served_by(page, actor=actor, who=who, confidential=confidential)
    if served:
        base["served"] = served
    if confidential:
        # Part of a disclosure: hidden from the patron's own access page, since a court
        # may forbid telling the patron (administrators still see it in the reports).
        base["confidential"] = True
    address = client_ip(request) if request is not None else None
    secret = {kind.name for kind in registry if kind.patron_visible is not None}
    entries = [
        {
            "content_type_id": patron_type.pk,
            "object_pk": str(subject),
            "object_id": subject,
            "object_repr": f"Patron #{subject}",
            "action": LogEntry.Action.ACCESS,
            "actor_id": actor.pk if actor else None,
            "actor_email": (getattr(actor, "email", None) or None) if actor else None,
            "remote_addr": address,
            "additional_data": {
                **base,
                "patron": subject,
                "kinds": counts,
                # Records a court may forbid telling the patron about (a legal hold):
                # the entry stays off the patron's own page, like a disclosure's.
                **({"confidential": True} if secret & set(counts) else {}),
            },
            "timestamp": now,
            "changes_text": "",
        }
        for subject, counts in sorted(kinds_by_patron.items())
    ]
    insert_entries(entries)
    return len(entries)


#: How long after a search the patron picked from its list is taken as served by it.
LOOKUP_TO_SERVE = datetime.timedelta(hours=1)


def served_from_lookup(patron_id: int, *, request, page: str) -> bool:
    """The staff member picked this patron from the list of their last search on `page`
    to serve them: that search's entry about this patron becomes part of the patron's
    transaction (`served_by` of the page it serves), reduced with it; the others the
    search listed keep their entries as a look. Returns whether an entry was marked."""
    actor = _staff_actor(request)
    if actor is None:
        return False
    served = served_by(page, actor=actor, who=None, confidential=False)
    if not served:
        return False
    entry = (
        LogEntry.objects.filter(
            action=LogEntry.Action.ACCESS,
            actor=actor,
            object_pk=str(patron_id),
            content_type=ContentType.objects.get_for_model(registry.get("patron").model),
            timestamp__gte=timezone.now() - LOOKUP_TO_SERVE,
            additional_data__page=page,
        )
        .order_by("-timestamp", "-pk")
        .values_list("pk", "additional_data")
        .first()
    )
    if entry is None or "served" in (entry[1] or {}):
        return False
    LogEntry.objects.filter(pk=entry[0]).update(additional_data={**entry[1], "served": served})
    return True


def _not_seen_lately(
    kinds_by_patron, *, actor, page, access, now, who, remembered: dict | None = None
) -> dict:
    """Leave out the patrons this reader saw on this page within the repeat window."""
    minutes = settings.CALUMET_AUDIT_REPEAT_MINUTES
    if minutes <= 0:
        return kinds_by_patron
    recent = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        timestamp__gte=now - datetime.timedelta(minutes=minutes),
        object_pk__in=[str(pk) for pk in kinds_by_patron],
        content_type=ContentType.objects.get_for_model(registry.get("patron").model),
        additional_data__page=page,
        additional_data__access=access,
    )
    recent = recent.filter(actor=actor) if actor is not None else recent.filter(actor__isnull=True)
    if who and who.get("role"):
        recent = recent.filter(additional_data__role=who["role"])
    already: dict[int, datetime.datetime] = {}
    for pk, when in recent.values_list("object_pk", "timestamp"):
        already[int(pk)] = max(when, already.get(int(pk), when))
    if remembered is not None:  # when each was last written, for the caller's memory
        for pk, when in already.items():
            remembered[(pk, page, access)] = when
    return {pk: counts for pk, counts in kinds_by_patron.items() if pk not in already}


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
    for each cost more than the insert (the benchmark's audit overhead on the account page)."""
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
            # The rows as one JSON document, one parameter whatever their number: psycopg
            # would quote a list per column element by element in Python, slower than the
            # insert itself for the expunge's thousands of entries. The moment goes as ISO
            # text with its microseconds, and the rows keep their order.
            document = json.dumps(
                [{**row, "timestamp": row["timestamp"].isoformat()} for row in rows],
                cls=encoder,
            )
            names = ", ".join(ops.quote_name(c) for c in columns)
            typed = ", ".join(f"{ops.quote_name(c)} {ENTRY_COLUMNS[c]}" for c in columns)
            cursor.execute(
                f"{head} SELECT {names} FROM ROWS FROM "  # noqa: S608 (column names, not input)
                f"(jsonb_to_recordset(%s::jsonb) AS ({typed})) WITH ORDINALITY "
                f"AS entry ({names}, place) ORDER BY place",
                [document],
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
    object (and the records its inlines, or its context's `records_shown`, show); a
    change list or search result logs each row on the page, in one insert."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            context = getattr(response, "context_data", None) or {}
            original = context.get("original")
            if original is not None:
                if hasattr(response, "render"):
                    response.render()
                records = [original, *context.get("records_shown", ())]
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
                    list(changelist.result_list),
                    request=request,
                    page=self._audit_page("list"),
                    access="listed",
                )
        return response

    def delete_view(self, request, object_id, extra_context=None):
        """The confirmation page lists what would go with the record."""
        response = super().delete_view(request, object_id, extra_context)
        if request.method == "GET" and response.status_code == 200:
            original = (getattr(response, "context_data", None) or {}).get("object")
            if original is not None:
                log_access([original], request=request, page=self._audit_page("delete"))
        return response

    def history_view(self, request, object_id, extra_context=None):
        """The record's history shows its changes, with their values."""
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            original = (getattr(response, "context_data", None) or {}).get("object")
            if original is not None:
                log_access([original], request=request, page=self._audit_page("history"))
        return response

    def _audit_page(self, view: str) -> str:
        opts = self.model._meta
        return f"admin:{opts.app_label}.{opts.model_name}:{view}"
