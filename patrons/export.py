"""Everything the library holds about one patron, built from the record registry, in
words the patron reads: a printable page, a CSV and a JSON file, with the labels in the
patron's language (the language of the request) and, for every kind of record and every
record, how long it is kept ("kept while the item is checked out to you", "erased
tonight")."""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.csv_safe import writer
from patrons.models import Patron
from privacy.registry import Expunge, RecordKind, registry
from privacy.retention import retention_days
from privacy.selectors import describe_days

#: What the export fields of every kind are called on the patron's side. A field not
#: listed is named by its model field's verbose name.
FIELD_LABELS = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "birth_date": gettext_lazy("Date of birth"),
    "address_line1": gettext_lazy("Street address"),
    "address_line2": gettext_lazy("Address, line 2"),
    "city": gettext_lazy("City"),
    "postal_code": gettext_lazy("Postal code"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("Email address"),
    "home_branch__name": gettext_lazy("Home branch"),
    "category": gettext_lazy("Category"),
    "registered_at": gettext_lazy("Registered"),
    "card_expires_on": gettext_lazy("Card valid until"),
    "status": gettext_lazy("Status"),
    "keep_reading_history": gettext_lazy("Reading history kept"),
    "language": gettext_lazy("Language"),
    "number": gettext_lazy("Number"),
    "issued_at": gettext_lazy("Issued"),
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "starts_at": gettext_lazy("Starts"),
    "ends_at": gettext_lazy("Ends"),
    "lifted_at": gettext_lazy("Lifted"),
    "item__title__title": gettext_lazy("Title"),
    "item__title__author": gettext_lazy("Author"),
    "item__barcode": gettext_lazy("Item barcode"),
    "title__title": gettext_lazy("Title"),
    "title__author": gettext_lazy("Author"),
    "loan__item__title__title": gettext_lazy("Title borrowed"),
    "checked_out_at": gettext_lazy("Checked out"),
    "due_at": gettext_lazy("Due"),
    "returned_at": gettext_lazy("Returned"),
    "renewals": gettext_lazy("Renewals"),
    "placed_at": gettext_lazy("Placed"),
    "pickup_branch__name": gettext_lazy("Pickup branch"),
    "pickup_by": gettext_lazy("Pick up by"),
    "closed_at": gettext_lazy("Closed"),
    "amount": gettext_lazy("Amount"),
    "amount_paid": gettext_lazy("Amount paid"),
    "assessed_at": gettext_lazy("Charged"),
    "settled_at": gettext_lazy("Settled"),
    "waived_at": gettext_lazy("Waived"),
    "kind": gettext_lazy("Kind"),
    "method": gettext_lazy("Paid by"),
    "taken_at": gettext_lazy("Paid"),
    "branch__name": gettext_lazy("Branch"),
    "program__name": gettext_lazy("Program"),
    "program__starts_at": gettext_lazy("Program starts"),
    "program__branch__name": gettext_lazy("Branch"),
    "attended": gettext_lazy("Attended"),
    "visited_at": gettext_lazy("Visited"),
    "day": gettext_lazy("Day"),
    "ok": gettext_lazy("Sent"),
    "courtesy": gettext_lazy("Reminders before the due date"),
    "card_expiry": gettext_lazy("Reminder before the card expires"),
    "workstation": gettext_lazy("Computer"),
    "started_at": gettext_lazy("Started"),
    "ended_at": gettext_lazy("Ended"),
    "set_at": gettext_lazy("Placed"),
    "released_at": gettext_lazy("Released"),
    "request__received_at": gettext_lazy("Received"),
    "request__legal_basis": gettext_lazy("Legal basis"),
    "request__status": gettext_lazy("Status"),
    "created_at": gettext_lazy("Applied"),
    "confirmed_at": gettext_lazy("Email confirmed"),
}


@dataclass
class Section:
    """One kind of record as the patron reads it."""

    name: str
    title: str
    retention: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)
    raw: list[dict] = field(default_factory=list)

    @property
    def lines(self) -> list[tuple[list[str], str]]:
        """Each record's values with when it is erased."""
        return list(zip(self.rows, self.erased, strict=True))

    @property
    def records(self) -> list[tuple[list[tuple[str, str]], str]]:
        """Each record as (label, value) pairs, for a kind with many fields."""
        return [(list(zip(self.columns, row, strict=True)), erased) for row, erased in self.lines]


def _model_field(model, path: str):
    current = model
    found = None
    for part in path.split("__"):
        try:
            found = current._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return None
        current = getattr(found, "related_model", None)
    return found


def field_label(kind: RecordKind, path: str) -> str:
    if path in FIELD_LABELS:
        return str(FIELD_LABELS[path])
    found = _model_field(kind.model, path)
    name = str(getattr(found, "verbose_name", "") or path.split("__")[-1].replace("_", " "))
    return _(name[:1].upper() + name[1:])


def _readable(record, path: str, kind: RecordKind) -> str:
    """A value as words: dates in the patron's language, yes/no, choices by their name
    (translated here: the models mark choice labels with `gettext_noop`, so they stay
    English in the audit log and on the staff site's stored texts)."""
    value = record
    for part in path.split("__"):
        if value is None:
            break
        value = getattr(value, part)
    found = _model_field(kind.model, path)
    if found is not None and getattr(found, "choices", None) and value not in (None, ""):
        value = _(str(dict(found.flatchoices).get(value, value)))
    if isinstance(value, models.Model):
        value = str(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), _("N j, Y, H:i"))
    if isinstance(value, datetime.date):
        return date_format(value, _("N j, Y"))
    return str(value)


def retention_words(kind: RecordKind, days: int) -> str:
    """How long this kind is kept, in a sentence."""
    rule = kind.rule
    if kind.expunge is Expunge.WITH_OWNER:
        return _("Kept with your registration, and erased with it.")
    words = {"active": _(rule.active_while), "start": _(rule.counted_from)}
    words["kept"] = describe_days(days)
    if rule.active_while.startswith("never"):  # closed as soon as it is made
        if days == 0:
            return _("Erased the night after %(start)s.") % words
        return _("Erased %(kept)s after %(start)s.") % words
    if rule.active_while.startswith("until"):  # a rule that reads "until ...", not "while"
        if days == 0:
            return _("Kept %(active)s; erased the night after %(start)s.") % words
        return _("Kept %(active)s; erased %(kept)s after %(start)s.") % words
    if days == 0:
        return _("Kept while %(active)s; erased the night after %(start)s.") % words
    return _("Kept while %(active)s; erased %(kept)s after %(start)s.") % words


def _record_erased(kind: RecordKind, days: int, now, active: set, closed: dict, kept: set, pk):
    """When this one record goes, in words."""
    if kind.expunge is Expunge.WITH_OWNER:
        return _("with your registration")
    if pk in kept:
        return _("kept at your request")
    if pk in active and not kind.rule.active_while.startswith("never"):
        if kind.rule.active_while.startswith("until"):
            return _("kept %(active)s") % {"active": _(kind.rule.active_while)}
        return _("kept while %(active)s") % {"active": _(kind.rule.active_while)}
    closed_on = closed.get(pk)
    if closed_on is None:
        return "—"
    due = closed_on + datetime.timedelta(days=days)
    if due <= now:
        return _("erased tonight")
    return _("erased the night after %(date)s") % {
        "date": date_format(timezone.localtime(due), _("N j, Y"))
    }


def patron_sections(*, patron: Patron, now: datetime.datetime | None = None, log=None):
    """Every kind of record, in the registry's order, with the patron's own records.

    `log`, when given, is called with every record shown (the audit)."""
    now = now or timezone.now()
    sections, shown = [], []
    for kind in registry:
        rows = list(kind.for_patron_export(patron).order_by("pk"))
        shown.extend(rows)
        days = retention_days(kind.policy_kind or kind.name)
        pks = [row.pk for row in rows]
        active, closed, kept = set(), {}, set()
        if pks and kind.expunge is not Expunge.WITH_OWNER:
            mine = {"pk__in": pks}
            active = set(kind.active_records(now).filter(**mine).values_list("pk", flat=True))
            closed = dict(kind.closed_records(now).filter(**mine).values_list("pk", "closed_on"))
            if kind.kept_by_patron is not None:
                kept = set(
                    kind.all().filter(kind.kept_by_patron(), **mine).values_list("pk", flat=True)
                )
        title = _(kind.rule.label) if kind.policy_kind is None else _(kind.patron_label)
        section = Section(
            name=kind.name,
            title=title[:1].upper() + title[1:],
            retention=retention_words(kind, days),
            columns=[field_label(kind, path) for path in kind.export_fields],
        )
        for row in rows:
            section.rows.append([_readable(row, path, kind) for path in kind.export_fields])
            section.erased.append(_record_erased(kind, days, now, active, closed, kept, row.pk))
            section.raw.append(kind.export(row))
        sections.append(section)
    if log is not None:
        log(shown)
    return sections


def _about() -> str:
    return _(
        "Everything the library holds about you on the day this file was made. Records "
        "are erased when they are no longer needed; see the privacy page."
    )


def patron_export(*, patron: Patron, now: datetime.datetime | None = None, log=None) -> dict:
    """The JSON download: one entry per record kind, each record with its fields under
    the names the patron reads (and the value as stored), and when it is erased."""
    now = now or timezone.now()
    records = {}
    for section in patron_sections(patron=patron, now=now, log=log):
        records[section.name] = {
            "label": section.title,
            "retention": section.retention,
            "records": [
                _labelled(section.columns, raw.values(), erased)
                for raw, erased in zip(section.raw, section.erased, strict=True)
            ],
        }
    return {
        "library": settings.CALUMET_LIBRARY_NAME,
        "generated_at": now.isoformat(),
        "about": _about(),
        "records": records,
    }


def _labelled(labels, values, erased) -> dict:
    record = {}
    for label, value in zip(labels, values, strict=True):
        key, n = label, 2
        while key in record:  # two fields under one name: keep both
            key, n = f"{label} ({n})", n + 1
        record[key] = value
    record[_("Erased")] = erased
    return record


def patron_export_json(**kwargs) -> str:
    return json.dumps(patron_export(**kwargs), indent=2, ensure_ascii=False)


def patron_export_csv(*, patron: Patron, now=None, log=None) -> str:
    """The CSV download: one line per field of each record ("long" form, so that every
    kind fits one sheet), and one line for each kind the patron has no record of."""
    buffer = io.StringIO()
    out = writer(buffer)
    out.writerow([_("Kind of record"), _("Record"), _("Field"), _("Value"), _("Kept")])
    for section in patron_sections(patron=patron, now=now, log=log):
        if not section.rows:
            out.writerow([section.title, "", "", _("no records"), section.retention])
        for number, (row, erased) in enumerate(
            zip(section.rows, section.erased, strict=True), start=1
        ):
            for label, value in zip(section.columns, row, strict=True):
                out.writerow([section.title, number, label, value, erased])
    return buffer.getvalue()
