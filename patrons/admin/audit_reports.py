"""Audit reports for library administrators, and the read-only audit log in the admin.

* Patron access report: every access to one patron's records (when, who, which page).
* Staff access report: per staff member and day, how many patrons' records they opened,
  flagging more than CALUMET_AUDIT_FLAG_PATRONS_PER_HOUR patrons in an hour, and patrons
  opened on a day with no transaction for them. This is how misuse is noticed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from core.admin_site import AdminPage, ReadOnlyAdmin
from core.paginator import EstimatedCountPaginator
from patrons.models import Card, Patron
from privacy.access import log_access
from privacy.admin_patrons import patron_link
from privacy.registry import registry

PERMISSION = "auditlog.view_logentry"


class AuditLogAdmin(ReadOnlyAdmin, LogEntryAdmin):
    """The audit log is read-only for everyone, superusers included."""

    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "page"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # The list of years of a date hierarchy reads every entry; a date filter does not.
    date_hierarchy = None
    list_filter = [("timestamp", admin.DateFieldListFilter), *LogEntryAdmin.list_filter]

    @admin.display(description="page")
    def page(self, obj):
        return page_name((obj.additional_data or {}).get("page", ""))

    @admin.display(description="changes")
    def msg_short(self, obj):
        """The fields changed, by the names staff read on the forms."""
        if obj.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
            return ""
        names = [_field_label(obj, name) for name in obj.changes_dict]
        shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
        return f"{len(names)} change{'s' if len(names) != 1 else ''}: {shown}"

    def changelist_view(self, request, extra_context=None):
        """Entries name patrons: the ones on the page are logged as listed."""
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            if hasattr(response, "render"):
                response.render()
            _log_patrons_named(changelist.result_list, request, "admin:auditlog:list", "listed")
        return response

    # A patron is named by the card in use, never "Patron #12" (the entry's own text,
    # which it keeps as it was written).
    @admin.display(description="resource")
    def resource_url(self, obj):
        patron = _entry_patron(obj)
        if patron is None:
            return super().resource_url(obj)
        if patron is False:
            return format_html("{} - {}", obj.content_type, "a patron no longer kept")
        return format_html("{} - {}", obj.content_type, patron_link(patron))

    def history_view(self, request, object_id, extra_context=None):
        entry = self.get_object(request, object_id)
        if entry is not None:
            extra_context = {
                "title": f"Change history: {entry_title(entry)}",
                "entry_title": entry_title(entry),
                **(extra_context or {}),
            }
        return super().history_view(request, object_id, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id)
        if entry is not None:
            extra_context = {
                "subtitle": entry_title(entry),
                "entry_title": entry_title(entry),
                **(extra_context or {}),
            }
        response = super().change_view(request, object_id, form_url, extra_context)
        original = (getattr(response, "context_data", None) or {}).get("original")
        if request.method == "GET" and response.status_code == 200 and original is not None:
            _log_patrons_named([original], request, "admin:auditlog:change", "opened")
        return response


def _entry_patron(entry):
    """The patron an entry is about (False when no longer kept), or None for any other
    record."""
    if entry.content_type_id is None or entry.content_type.model_class() is not Patron:
        return None
    pk = entry.object_id if entry.object_id is not None else entry.object_pk
    return Patron.objects.filter(pk=pk).first() or False


def entry_title(entry) -> str:
    """ "Created patron: card …0001" — what an entry's page is titled."""
    verb = {
        LogEntry.Action.CREATE: "Created",
        LogEntry.Action.UPDATE: "Updated",
        LogEntry.Action.DELETE: "Deleted",
    }.get(entry.action, "Logged")
    patron = _entry_patron(entry)
    if patron is None:
        return f"{verb} {entry.object_repr}"
    kept = patron.card_label if patron else "a patron no longer kept"
    return f"{verb} patron: {kept}"


def _log_patrons_named(entries, request, page: str, access: str) -> None:
    ids = {(entry.additional_data or {}).get("patron") for entry in entries}
    ids = {pk for pk in ids if isinstance(pk, int)}
    if ids:
        log_access(Patron.objects.filter(pk__in=ids), request=request, page=page, access=access)


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AuditLogAdmin)


_VIEWS = {
    "change": "record",
    "list": "list",
    "changelist": "list",
    "delete": "deletion page",
    "history": "history",
    "history_off": "reading history switched off",
}


_NAMED = {
    "admin:patron_access_report": "Patron access report",
    "admin:autocomplete": "Search box suggestions",
    "admin:disclosures:package": "Disclosure package download",
    "admin:disclosures:summary": "Disclosure summary (printable)",
    "admin:disclosures:document": "Disclosure legal document",
}


def _field_label(entry: LogEntry, name: str) -> str:
    model = entry.content_type.model_class() if entry.content_type_id else None
    try:
        label = str(model._meta.get_field(name).verbose_name) if model else name
    except Exception:  # a field since removed: its name, made readable
        label = name.replace("_", " ")
    return label[:1].upper() + label[1:]


def page_name(page: str) -> str:
    """What a page is called by the people who use it: "admin:patrons.patron:change" is
    the "Patron record", "admin:circulation:checkout" the "Check out" page."""
    if not page:
        return ""
    area, _, rest = page.partition(":")
    target, _, view = rest.partition(":")
    if "." in target:
        try:
            model = apps.get_model(target)
        except LookupError:
            model = None
        if model is not None:
            noun = str(model._meta.verbose_name).capitalize()
            return f"{noun} {_VIEWS.get(view, view.replace('_', ' '))}"
    if page in _NAMED:
        return _NAMED[page]
    for registered in admin.site._pages:
        if rest.replace("-", "_") in (
            f"{registered.app_label}:{registered.slug.replace('-', '_')}",
            registered.url_name,
        ):
            return registered.label
    words = (view or target).replace("_", " ").replace("-", " ").strip()
    where = {"admin": "Staff", "portal": "Patron portal", "desk": "Desk"}.get(area, "")
    if words:
        return f"{where}: {words}" if where else words.capitalize()
    return where or page


class CardLookupForm(forms.Form):
    card_number = forms.CharField(label="Card number", max_length=40)


def _kinds_text(data: dict) -> str:
    kinds = data.get("kinds") or ({data["kind"]: 1} if data.get("kind") else {})
    parts = []
    for name, count in sorted(kinds.items()):
        label = registry.get(name).label if name in registry else name
        parts.append(f"{label} ({count})" if count != 1 else label)
    return ", ".join(parts)


def _describe(entry: LogEntry) -> dict:
    data = entry.additional_data or {}
    return {
        "when": entry.timestamp,
        "who": (entry.actor.get_full_name() or entry.actor.get_username())
        if entry.actor
        else ("the patron" if data.get("page", "").startswith("portal:") else "the system"),
        "role": data.get("role", ""),
        "branch": data.get("branch", ""),
        "page": page_name(data.get("page", "")),
        "kind": _kinds_text(data),
        "action": "sign-in"
        if data.get("event") == "sign-in"
        else ("listed" if data.get("access") == "listed" else "opened")
        if entry.action == LogEntry.Action.ACCESS
        else entry.get_action_display(),
        "address": entry.remote_addr or "",
        "record": entry.object_repr,
    }


@require_http_methods(["GET", "POST"])
def patron_access_report(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = CardLookupForm(request.POST or None)
    card = None
    rows = None
    if request.method == "POST" and form.is_valid():
        number = "".join(form.cleaned_data["card_number"].split())
        card = Card.objects.select_related("patron").filter(number=number).first()
        if card is None:
            form.add_error("card_number", "No library card has that number.")
        else:
            entries = (
                LogEntry.objects.filter(additional_data__patron=card.patron_id)
                .select_related("actor", "content_type")
                .order_by("-timestamp", "-pk")
            )
            page = Paginator(entries, 200).get_page(request.POST.get("page"))
            rows = [_describe(entry) for entry in page.object_list]
            log_access([card.patron], request=request, page="admin:patron_access_report")
    context = {
        **admin.site.each_context(request),
        "title": "Patron access report",
        "form": form,
        "card": card,
        "rows": rows,
    }
    return TemplateResponse(request, "admin/audit/patron_access_report.html", context)


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end date is before the start date.")
            if (end - start).days > 92:
                raise forms.ValidationError("Choose at most three months at a time.")
        return cleaned


def staff_access_summary(start: datetime.date, end: datetime.date) -> list[dict]:
    """Rows per staff member and day, with the reasons a row is flagged."""
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    entries = (
        LogEntry.objects.filter(timestamp__gte=since, timestamp__lt=until)
        .filter(additional_data__has_key="patron")
        .values_list("actor_id", "action", "timestamp", "additional_data")
    )
    opened = defaultdict(set)  # (actor, day) -> patrons whose records were opened
    listed = defaultdict(set)  # (actor, day) -> patrons only listed (a list, a search)
    per_hour = defaultdict(set)  # (actor, day, hour) -> patrons
    transactions = defaultdict(set)  # day -> patrons with a create/change that day
    for actor_id, action, stamp, data in entries.iterator():
        patron = (data or {}).get("patron")
        if patron is None:
            continue
        local = timezone.localtime(stamp)
        day = local.date()
        if action == LogEntry.Action.ACCESS:
            if actor_id is None:
                continue
            if (data or {}).get("access") == "listed":
                listed[(actor_id, day)].add(patron)
                continue
            opened[(actor_id, day)].add(patron)
            per_hour[(actor_id, day, local.hour)].add(patron)
        else:
            transactions[day].add(patron)

    users = get_user_model().objects.in_bulk({actor for actor, _ in opened | listed})
    limit = settings.CALUMET_AUDIT_FLAG_PATRONS_PER_HOUR
    rows = []
    for actor_id, day in sorted(
        set(opened) | set(listed), key=lambda k: (k[1], k[0]), reverse=True
    ):
        patrons = opened.get((actor_id, day), set())
        busiest = max(
            (len(p) for (a, d, _h), p in per_hour.items() if a == actor_id and d == day), default=0
        )
        without = sorted(p for p in patrons if p not in transactions[day])
        flags = []
        if busiest > limit:
            flags.append(f"{busiest} patrons in one hour (limit {limit})")
        if without:
            flags.append(
                f"{len(without)} patron{'s' if len(without) != 1 else ''} "
                "opened with no transaction that day"
            )
        user = users.get(actor_id)
        rows.append(
            {
                "staff": (user.get_full_name() or user.get_username())
                if user
                else f"user #{actor_id}",
                "day": day,
                "patrons": len(patrons),
                "listed": len(listed.get((actor_id, day), set()) - patrons),
                "busiest_hour": busiest,
                "without_transaction": [f"Patron #{p}" for p in without[:50]],
                "flags": flags,
            }
        )
    return rows


@require_http_methods(["GET"])
def staff_access_report(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    data = {"start": today - datetime.timedelta(days=6), "end": today, **request.GET.dict()}
    form = PeriodForm(data)
    rows = (
        staff_access_summary(form.cleaned_data["start"], form.cleaned_data["end"])
        if form.is_valid()
        else []
    )
    context = {
        **admin.site.each_context(request),
        "title": "Staff access report",
        "form": form,
        "rows": rows,
        "flagged_only": request.GET.get("flagged") == "1",
        "limit": settings.CALUMET_AUDIT_FLAG_PATRONS_PER_HOUR,
    }
    if context["flagged_only"]:
        context["rows"] = [row for row in rows if row["flags"]]
    return TemplateResponse(request, "admin/audit/staff_access_report.html", context)


admin.site.register_page(
    AdminPage("auditlog", "patron-access", "Patron access report", patron_access_report, PERMISSION)
)
admin.site.register_page(
    AdminPage(
        "auditlog", "staff-access", "Staff access report", staff_access_report, PERMISSION, order=1
    )
)
