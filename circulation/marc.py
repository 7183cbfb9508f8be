"""Catalog import from MARC 21 (binary .mrc and MARCXML) with pymarc.

Title (245 $a $b), author (100/110 $a), ISBN (020 $a), publication year (264 $c, else
260 $c), call number (050, else 082, else 092), and items from 952 holdings (the Koha
convention: $p barcode, $a home branch code, $o call number, $y item type, $v/$g price).
A title is matched on its control number (001), else its ISBN, so importing a file again
updates instead of duplicating. Each record is imported in its own transaction: a broken
record is reported with its position and skipped, and the rest are imported.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pymarc
from django.db import transaction

from .models import Branch, Item, Title

ITEM_TYPES = {
    "BK": Item.ItemType.BOOK,
    "BOOK": Item.ItemType.BOOK,
    "DVD": Item.ItemType.DVD,
    "VIDEO": Item.ItemType.DVD,
    "AUD": Item.ItemType.AUDIOBOOK,
    "CD": Item.ItemType.AUDIOBOOK,
    "AUDIOBOOK": Item.ItemType.AUDIOBOOK,
    "LP": Item.ItemType.LARGE_PRINT,
    "LARGEPRINT": Item.ItemType.LARGE_PRINT,
    "MAG": Item.ItemType.MAGAZINE,
    "SER": Item.ItemType.MAGAZINE,
}
TRAILING = re.compile(r"[\s/:;,.=]+$")


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    items: int = 0
    problems: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"Imported {self.imported}, updated {self.updated}, skipped {self.skipped}."


class RecordProblem(Exception):
    pass


def _clean(value: str | None) -> str:
    return TRAILING.sub("", (value or "").strip()).strip()


def _first(record: pymarc.Record, tag: str, code: str) -> str:
    for fld in record.get_fields(tag):
        values = fld.get_subfields(code)
        if values:
            return values[0]
    return ""


def parse_title(record: pymarc.Record) -> dict:
    fields = record.get_fields("245")
    if not fields:
        raise RecordProblem("no title (245)")
    main = _clean(" ".join(fields[0].get_subfields("a")))
    sub = _clean(" ".join(fields[0].get_subfields("b")))
    if not main:
        raise RecordProblem("no title (245 $a)")
    title = f"{main}: {sub}" if sub else main
    author = _clean(_first(record, "100", "a") or _first(record, "110", "a"))
    isbn = ""
    raw_isbn = _first(record, "020", "a")
    if raw_isbn:
        isbn = re.sub(r"[^0-9Xx]", "", raw_isbn.split()[0]).upper()[:13]
    year = None
    for fld in record.get_fields("264"):
        if fld.indicator2 in ("1", " ", None) and fld.get_subfields("c"):
            year = fld.get_subfields("c")[0]
            break
    if year is None:
        year = _first(record, "260", "c") or None
    match = re.search(r"(1[5-9]\d\d|20\d\d)", year or "")
    call = ""
    if record.get_fields("050"):
        call = " ".join(record.get_fields("050")[0].get_subfields("a", "b"))
    elif record.get_fields("082"):
        call = _first(record, "082", "a")
    elif record.get_fields("092"):
        call = " ".join(record.get_fields("092")[0].get_subfields("a", "b"))
    control_fields = record.get_fields("001")
    control = (control_fields[0].data or "").strip() if control_fields else ""
    return {
        "title": title[:500],
        "author": author[:300],
        "isbn": isbn,
        "publication_year": int(match.group(1)) if match else None,
        "call_number": call.strip()[:50],
        "control_number": control[:50],
    }


def _price(value: str) -> Decimal | None:
    try:
        price = Decimal(re.sub(r"[^0-9.]", "", value or ""))
    except InvalidOperation:
        return None
    return price if price >= 0 else None


def _import_one(record: pymarc.Record, result: ImportResult, where: tuple[str, int]) -> None:
    data = parse_title(record)
    title = None
    if data["control_number"]:
        title = Title.objects.filter(control_number=data["control_number"]).first()
    if title is None and data["isbn"]:
        title = Title.objects.filter(isbn=data["isbn"]).first()
    with transaction.atomic():
        if title is None:
            title = Title.objects.create(**data)
            result.imported += 1
        else:
            for name, value in data.items():
                if value or name in ("title",):
                    setattr(title, name, value)
            title.save()
            result.updated += 1
        branches = {b.code.lower(): b for b in Branch.objects.all()}
        for holding in record.get_fields("952"):
            barcode = _clean(" ".join(holding.get_subfields("p")))
            if not barcode:
                continue
            code = (holding.get_subfields("a") or holding.get_subfields("b") or [""])[0].strip()
            branch = branches.get(code.lower())
            if branch is None:
                result.problems.append((*where, f"item {barcode}: unknown branch code {code!r}"))
                continue
            item_type = ITEM_TYPES.get(
                (holding.get_subfields("y") or [""])[0].strip().upper(), Item.ItemType.BOOK
            )
            price = _price((holding.get_subfields("v") or holding.get_subfields("g") or [""])[0])
            existing = Item.objects.filter(barcode=barcode).first()
            if existing is not None and existing.title_id != title.pk:
                result.problems.append(
                    (*where, f"item {barcode}: the barcode belongs to another title; left alone")
                )
                continue
            values = {
                "title": title,
                "branch": branch,
                "item_type": item_type,
                "call_number": (holding.get_subfields("o") or [title.call_number])[0][:50],
                "price": price,
            }
            Item.objects.update_or_create(barcode=barcode[:32], defaults=values)
            result.items += 1


def read_records(path: Path) -> Iterator[tuple[int, pymarc.Record | None, str]]:
    """(position, record or None, problem) for each record of a file, binary or XML."""
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip()
    if head.startswith(b"<"):
        try:
            records = pymarc.parse_xml_to_array(str(path))
        except Exception as error:  # a malformed XML file: report it, skip it whole
            yield 0, None, f"not readable as MARCXML ({error.__class__.__name__})"
            return
        for position, record in enumerate(records, start=1):
            yield position, record, "" if record is not None else "unreadable record"
        return
    with open(path, "rb") as handle:
        reader = pymarc.MARCReader(handle, to_unicode=True, force_utf8=True, permissive=True)
        for position, record in enumerate(reader, start=1):
            if record is None:
                reason = (
                    reader.current_exception.__class__.__name__
                    if reader.current_exception
                    else "unreadable"
                )
                yield position, None, f"broken record ({reason})"
            else:
                yield position, record, ""


def marc_import(
    *,
    paths: list[Path],
    actor=None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import the files; with `dry_run`, everything is rolled back at the end."""
    result = ImportResult()
    seen = 0

    class _Rollback(Exception):
        pass

    # Each record commits on its own (a savepoint inside a dry run's one transaction).
    outer = transaction.atomic() if dry_run else contextlib.nullcontext()
    try:
        with outer:
            for path in paths:
                for position, record, problem in read_records(Path(path)):
                    seen += 1
                    where = (str(path), position)
                    if record is None:
                        result.skipped += 1
                        result.problems.append((*where, problem))
                        continue
                    try:
                        _import_one(record, result, where)
                    except RecordProblem as error:
                        result.skipped += 1
                        result.problems.append((*where, str(error)))
                    except Exception as error:  # one bad record never stops the file
                        result.skipped += 1
                        result.problems.append(
                            (*where, f"could not be imported ({error.__class__.__name__})")
                        )
                    if progress and seen % 100 == 0:
                        progress(seen)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result
