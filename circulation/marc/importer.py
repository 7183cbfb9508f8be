"""Catalog import from MARC 21 (binary ISO 2709 `.mrc` and MARCXML) with pymarc.

`marc_import(paths=[...], actor=...)` reads each file (`marc_read`), maps each record to Title
fields (`marc_fields`: title, author, ISBN, year, call number, subjects, series, language,
format, summary, control number and its source) and:

- finds the title the record describes and updates it (the same control number from the
  same source, 001 + 003: a re-import) or merges into it (the same ISBN, compared as a
  checked ISBN-13, so an ISBN-10 and its ISBN-13 are the same book: another description
  of it), or creates a new one. Importing the same file twice creates no duplicates, and
  two files describing one book make one title; every merge is listed in the result;
- creates or updates an item for each 952 holding (the Koha convention: $p barcode,
  $a home branch code, else $b, $o call number, $y item type, $v or $g price).

Each record is saved in its own transaction, so a record that cannot be read or saved is
never half-imported: it is reported with its file, position and ISBN or control number,
and skipped; the rest are imported.

Nothing here holds patron data; problems name files, record positions, ISBNs, control
numbers, barcodes and branch codes only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pymarc
from django.db import transaction

from circulation.marc.fields import (  # noqa: F401 (clean, isbn_from...: the public helpers)
    RecordProblem,
    _flag,
    _subfield,
    clean,
    isbn_from,
    item_type_for,
    parse_title,
    price_from,
    year_from,
)
from circulation.marc.read import describe, read_records
from circulation.models import Branch, Item, Title
from privacy.acting import service


class Problem(NamedTuple):
    """Something a librarian should look at. `position` is the record's ordinal in its
    file (from 1); 0 means the file as a whole. `record` names the record when it can
    ("ISBN 9780141439518", "001 ocm123 (OCoLC)")."""

    file: str
    position: int
    reason: str
    record: str = ""

    def __str__(self) -> str:
        which = f" ({self.record})" if self.record else ""
        return f"{self.file}:record {self.position}{which}: {self.reason}"


class Merge(NamedTuple):
    """A record merged into a title another record (or an earlier import) made."""

    file: str
    position: int
    record: str
    title_id: int
    title: str
    differences: tuple[str, ...]  # the fields whose values differed; the title's were kept

    def __str__(self) -> str:
        differs = f"; differs in {', '.join(self.differences)}" if self.differences else ""
        return (
            f"{self.file}:record {self.position} ({self.record}): merged into Title "
            f"#{self.title_id} {self.title!r} (same ISBN){differs}"
        )


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    merged: int = 0
    skipped: int = 0
    items_created: int = 0
    items_updated: int = 0
    problems: list[Problem] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"Imported {self.imported}, updated {self.updated}, merged {self.merged}, "
            f"skipped {self.skipped}."
        )


@dataclass(frozen=True)
class Progress:
    """Reported after every record: the file, records read so far in all files, and how
    far through the current file the reader is (0 to 1)."""

    path: Path
    records: int
    fraction: float


# --- matching and saving -------------------------------------------------------------------

# Kept from the first description of a book when another one is merged into it.
MERGE_COMPARED = ("title", "author", "publication_year", "format", "language", "series")


def record_label(data: dict) -> str:
    """How a record is named in messages: its ISBN, else its control number."""
    if data.get("isbn13") or data.get("isbn"):
        return f"ISBN {data['isbn13'] or data['isbn']}"
    if data.get("control_number"):
        source = f" ({data['control_source']})" if data.get("control_source") else ""
        return f"001 {data['control_number']}{source}"
    return ""


def _find_title(data: dict) -> tuple[Title | None, str]:
    """(title, how): 'control' for the same 001 + 003, 'isbn' for the same book."""
    if data["control_number"]:
        same = Title.objects.filter(
            control_number=data["control_number"], control_source=data["control_source"]
        )
        if title := same.order_by("pk").first():
            return title, "control"
    if data["isbn13"]:
        found = Title.objects.filter(isbn13=data["isbn13"]).order_by("pk").first()
    elif data["isbn"]:  # not a valid ISBN: only the same digits are the same book
        found = Title.objects.filter(isbn=data["isbn"]).order_by("pk").first()
    else:
        found = None
    return found, "isbn" if found else ""


def _update(title: Title, data: dict) -> None:
    """A re-import: the title takes every value the record has."""
    changed = []
    for name, value in data.items():
        if value not in ("", None) and getattr(title, name) != value:
            setattr(title, name, value)
            changed.append(name)
    if changed:
        title.save(update_fields=changed)


def _merge(title: Title, data: dict) -> tuple[str, ...]:
    """Another description of the same book: the title keeps what it has (its control
    number too), takes what it lacks, and gains the record's subjects. Returns the
    compared fields whose values differed."""
    differences = tuple(
        name
        for name in MERGE_COMPARED
        if data[name] not in ("", None)
        and getattr(title, name) not in ("", None)
        and getattr(title, name) != data[name]
    )
    changed = []
    for name, value in data.items():
        if name == "control_source" and title.control_number:
            continue  # a source belongs with its control number
        if value not in ("", None) and getattr(title, name) in ("", None):
            setattr(title, name, value)
            changed.append(name)
    subjects = title.subject_list
    extra = [s for s in data["subjects"].splitlines() if s and s not in subjects]
    if extra:
        title.subjects = "\n".join([*subjects, *extra])
        changed.append("subjects")
    if changed:
        title.save(update_fields=set(changed))
    return differences


def _save_title(data: dict) -> tuple[Title, str, tuple[str, ...]]:
    """(title, what happened: 'created', 'updated' or 'merged', differences if merged)."""
    title, how = _find_title(data)
    if title is None:
        return Title.objects.create(**data), "created", ()
    if how == "control":
        _update(title, data)
        return title, "updated", ()
    return title, "merged", _merge(title, data)


def _save_items(
    record: pymarc.Record, title: Title, branches: dict[str, Branch], counts: dict[str, int]
) -> list[str]:
    """Create or update the items of the record's 952 fields; the problems found."""
    notes: list[str] = []
    for fld in record.get_fields("952"):
        barcode = _subfield(fld, "p")
        if not barcode:
            notes.append("a 952 holding has no barcode ($p); no item created")
            continue
        if len(barcode) > Item._meta.get_field("barcode").max_length:
            notes.append(f"item {barcode}: barcode longer than 32 characters; not created")
            continue
        code = _subfield(fld, "a") or _subfield(fld, "b")
        branch = branches.get(code.lower())
        if branch is None:
            what = f"unknown branch code {code!r}" if code else "no branch code ($a/$b)"
            notes.append(f"item {barcode}: {what}; item not created")
            continue
        values = {
            "branch": branch,
            "item_type": item_type_for(_subfield(fld, "y")),
            "call_number": (_subfield(fld, "o") or title.call_number)[:50],
        }
        price = price_from(_subfield(fld, "v"))
        if price is None:
            price = price_from(_subfield(fld, "g"))
        if price is not None:
            values["price"] = price
        item = Item.objects.filter(barcode=barcode).first()
        if item is None:
            status = Item.Status.AVAILABLE
            if _flag(fld, "0"):
                status = Item.Status.WITHDRAWN
            elif _flag(fld, "1"):
                status = Item.Status.LOST
            Item.objects.create(title=title, barcode=barcode, status=status, **values)
            counts["created"] += 1
        elif item.title_id != title.pk:
            notes.append(
                f"item {barcode}: the barcode belongs to another title "
                f"(Title #{item.title_id}); left unchanged"
            )
        else:
            # The status is the desk's business (an item may be on loan): never imported.
            for name, value in values.items():
                setattr(item, name, value)
            item.save(update_fields=list(values))
            counts["updated"] += 1
    return notes


def _import_record(
    record: pymarc.Record, branches: dict[str, Branch], result: ImportResult
) -> tuple[Title, str, tuple[str, ...], dict, list[str]]:
    """Save one record in its own transaction; the counts change only once it is saved."""
    data, notes = parse_title(record)
    counts = {"created": 0, "updated": 0}
    try:
        with transaction.atomic():
            title, what, differences = _save_title(data)
            notes += _save_items(record, title, branches, counts)
    except Exception as error:
        error.record_label = record_label(data)  # for the message
        raise
    result.items_created += counts["created"]
    result.items_updated += counts["updated"]
    return title, what, differences, data, notes


class _DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


@service
def marc_import(
    *,
    paths: list[Path],
    actor,
    dry_run: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> ImportResult:
    """Import titles and items from MARC files. With `dry_run`, everything is read,
    matched and saved as usual, then rolled back: the counts say what would happen.

    `actor` (the staff user running the import, or None for the system) is recorded by the
    audit log for any audited model the import touches.
    """
    result = ImportResult()
    branches = {branch.code.lower(): branch for branch in Branch.objects.all()}
    seen = 0
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    with contextlib.suppress(_DryRun), outer:
        for path in map(Path, paths):
            try:
                for fraction in _import_file(path, branches, result):
                    seen += 1
                    if progress is not None:
                        progress(Progress(path=path, records=seen, fraction=fraction))
            except OSError as error:  # the records before the error are imported
                result.problems.append(
                    Problem(str(path), 0, f"cannot be read ({error.strerror or error})")
                )
        if dry_run:
            raise _DryRun
    return result


def _import_file(path: Path, branches: dict[str, Branch], result: ImportResult) -> Iterator[float]:
    """Import one file record by record; yields the fraction of the file read so far."""
    name = str(path)
    for position, record, problem, fraction, read_notes in read_records(path):
        if record is None:
            result.problems.append(Problem(name, position, problem))
            if position:  # 0 is the whole file, not a record
                result.skipped += 1
                yield fraction
            continue
        try:
            title, what, differences, data, notes = _import_record(record, branches, result)
        except RecordProblem as error:
            result.skipped += 1
            result.problems.append(Problem(name, position, f"{error}; skipped"))
            result.problems.extend(Problem(name, position, note) for note in read_notes)
        except Exception as error:  # one record that cannot be saved never stops the file
            result.skipped += 1
            reason = f"could not be saved: {describe(error)}; skipped"
            label = getattr(error, "record_label", "")
            result.problems.append(Problem(name, position, reason, label))
        else:
            label = record_label(data)
            if what == "created":
                result.imported += 1
            elif what == "updated":
                result.updated += 1
            else:
                result.merged += 1
                result.merges.append(
                    Merge(name, position, label, title.pk, title.title, differences)
                )
            result.problems.extend(
                Problem(name, position, note, label) for note in [*read_notes, *notes]
            )
        yield fraction
