"""Catalog import from MARC 21 (binary ISO 2709 `.mrc` and MARCXML) with pymarc.

`marc_import(paths=[...])` reads each file, recognised by its content (a leading `<` is
MARCXML, anything else binary MARC), and for every record:

- takes the title (245 $a $b $n $p), author (100, else 110, else 111), ISBN (020 $a),
  publication year (264 $c, else 260 $c, else 008), call number (050, else 090, else 082,
  else 092), summary (520 $a) and control number (001), with ISBD punctuation removed;
- finds the title it describes on the control number (001), else on the ISBN, and updates
  it, or creates a new one: importing the same file twice creates no duplicates;
- creates or updates an item for each 952 holding (the Koha convention: $p barcode,
  $a home branch code, else $b, $o call number, $y item type, $v or $g price).

Each record is saved in its own transaction, so a record that cannot be read or saved is
never half-imported: it is reported with its file and position and skipped, and the rest
are imported. A binary record whose length or terminator is broken is skipped up to the
next record terminator, so the records after it are still read.

Nothing here holds patron data; problems name files, record positions, barcodes and
branch codes only.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, NamedTuple
from xml.sax import SAXParseException

import pymarc
from django.db import transaction
from pymarc.exceptions import FatalReaderError

from .models import Branch, Item, Title

RECORD_TERMINATOR = b"\x1d"
BLANK_BYTES = b" \t\r\n\x00\x1a\x1d"  # between records in some exports: newlines, NUL,
# DOS end-of-file, stray record terminators
UTF8_BOM = b"\xef\xbb\xbf"

# 952 $y (Koha item type code) -> Calumet item type. Matched on the code upper-cased,
# first exactly, then by the loose rules of `item_type_for`.
ITEM_TYPES = {
    "BK": Item.ItemType.BOOK,
    "BOOK": Item.ItemType.BOOK,
    "BOOKS": Item.ItemType.BOOK,
    "DVD": Item.ItemType.DVD,
    "BLURAY": Item.ItemType.DVD,
    "VIDEO": Item.ItemType.DVD,
    "VM": Item.ItemType.DVD,
    "AUD": Item.ItemType.AUDIOBOOK,
    "AB": Item.ItemType.AUDIOBOOK,
    "CD": Item.ItemType.AUDIOBOOK,
    "AUDIOBOOK": Item.ItemType.AUDIOBOOK,
    "LP": Item.ItemType.LARGE_PRINT,
    "LPB": Item.ItemType.LARGE_PRINT,
    "LARGEPRINT": Item.ItemType.LARGE_PRINT,
    "MAG": Item.ItemType.MAGAZINE,
    "MAGAZINE": Item.ItemType.MAGAZINE,
    "SER": Item.ItemType.MAGAZINE,
    "PER": Item.ItemType.MAGAZINE,
}

_TRAILING_PUNCTUATION = re.compile(r"\s*[/:;,=+]$")
_ENDS_WITH_INITIAL = re.compile(r"(?:^|[\s.])[^\W\d_]\.$")  # "Tolkien, J. R. R." keeps its period
_ISBN = re.compile(r"\s*([0-9Xx][0-9Xx\- ]*[0-9Xx])")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_PRICE = re.compile(r"\d[\d,.]*")
MAX_PRICE = Decimal("999999.99")  # Item.price: max_digits=8, decimal_places=2


class Problem(NamedTuple):
    """Something a librarian should look at. `position` is the record's ordinal in its
    file (from 1); 0 means the file as a whole."""

    file: str
    position: int
    reason: str


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    items_created: int = 0
    items_updated: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"Imported {self.imported}, updated {self.updated}, skipped {self.skipped}."


@dataclass(frozen=True)
class Progress:
    """Reported after every record: the file, records read so far in all files, and how
    far through the current file the reader is (0 to 1)."""

    path: Path
    records: int
    fraction: float


class RecordProblem(Exception):
    """A record that cannot be imported, with the reason."""


# --- reading files ---------------------------------------------------------------------


class _Read(NamedTuple):
    position: int
    record: pymarc.Record | None
    problem: str
    fraction: float


def read_records(path: Path) -> Iterator[_Read]:
    """Each record of a file, binary MARC or MARCXML, with its position (from 1).

    An unreadable record comes back as `record=None` with the reason; a MARCXML file that
    is not well-formed comes back as one entry at position 0 and nothing else.
    """
    with open(path, "rb") as handle:
        head = handle.read(64)
        if head.startswith(UTF8_BOM):
            head = head[len(UTF8_BOM) :]
        if head.lstrip().startswith(b"<"):
            yield from _read_xml(path)
            return
        handle.seek(0)
        size = path.stat().st_size or 1
        yield from _read_binary(handle, size)


def _read_xml(path: Path) -> Iterator[_Read]:
    # The whole file is parsed before anything is imported: a file that is not
    # well-formed is skipped whole rather than imported up to the error.
    try:
        records = pymarc.parse_xml_to_array(str(path), strict=False)
    except Exception as error:  # SAXParseException, or a KeyError for a missing attribute
        reason = f"not readable as MARCXML ({_describe_xml_error(error)}); file skipped"
        yield _Read(0, None, reason, 1.0)
        return
    total = len(records) or 1
    for position, record in enumerate(records, start=1):
        yield _Read(position, record, "", position / total)


def _describe_xml_error(error: Exception) -> str:
    if isinstance(error, SAXParseException):
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}"
        return f"{error.getMessage()} at {where}"
    return _describe(error)


def _marc_reader(handle: BinaryIO) -> pymarc.MARCReader:
    return pymarc.MARCReader(handle, to_unicode=True, force_utf8=True, permissive=True)


def _read_binary(handle: BinaryIO, size: int) -> Iterator[_Read]:
    reader = _marc_reader(handle)
    position = 0
    while True:
        _skip_blank(handle)
        start = handle.tell()
        try:
            record = next(reader)
        except StopIteration:
            return
        position += 1
        error = reader.current_exception
        if record is None and isinstance(error, UnicodeDecodeError):
            record = _as_marc8(reader.current_chunk)
        if record is not None:
            yield _Read(position, record, "", min(handle.tell() / size, 1.0))
            continue
        yield _Read(
            position,
            None,
            f"broken record at byte {start}: {_describe(error)}",
            min(handle.tell() / size, 1.0),
        )
        if isinstance(error, FatalReaderError):
            # The record's length cannot be trusted, so pymarc stops reading here. Go on
            # from the end of this record (its terminator) with a fresh reader instead.
            handle.seek(start)
            if not _skip_past_terminator(handle):
                return
            reader = _marc_reader(handle)


def _skip_blank(handle: BinaryIO) -> None:
    while True:
        byte = handle.read(1)
        if not byte:
            return
        if byte not in BLANK_BYTES:
            handle.seek(-1, 1)
            return


def _skip_past_terminator(handle: BinaryIO, block: int = 65536) -> bool:
    """Move just past the next record terminator; False at the end of the file."""
    while True:
        offset = handle.tell()
        data = handle.read(block)
        if not data:
            return False
        found = data.find(RECORD_TERMINATOR)
        if found != -1:
            handle.seek(offset + found + 1)
            return True


def _as_marc8(chunk: bytes | None) -> pymarc.Record | None:
    """A record that is not valid UTF-8 but says it is MARC-8 (leader/09 blank): decode it
    as MARC-8, as older exports are."""
    if not chunk or len(chunk) < 24 or chunk[9:10] == b"a":
        return None
    try:
        return pymarc.Record(chunk, to_unicode=True, force_utf8=False)
    except Exception:
        return None


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unreadable"
    message = str(error)
    name = error.__class__.__name__
    return f"{message} ({name})" if message and message != name else name


# --- reading fields --------------------------------------------------------------------


def clean(value: str | None) -> str:
    """A value without the ISBD punctuation that ends it ("Title :", "Smith, Jane,")."""
    text = " ".join((value or "").split())
    while True:
        before = text
        text = _TRAILING_PUNCTUATION.sub("", text).rstrip()
        if text.endswith(".") and not text.endswith("...") and not _ENDS_WITH_INITIAL.search(text):
            text = text[:-1].rstrip()
        if text == before:
            return text


def _subfield(fld: pymarc.Field, *codes: str) -> str:
    values = fld.get_subfields(*codes)
    return values[0].strip() if values else ""


def _title(record: pymarc.Record) -> str:
    fields = record.get_fields("245")
    if not fields:
        raise RecordProblem("no title (245)")
    parts: list[str] = []
    previous = ""
    for code, value in fields[0].subfields:
        if code not in {"a", "b", "n", "p"}:
            continue
        text = clean(value)
        if not text:
            continue
        if not parts and code != "a":
            break  # no title proper: the record is skipped below
        if parts:
            mark = previous.rstrip()[-1:]
            if mark == "=":
                parts.append(" = ")
            elif mark in {";", ","}:
                parts.append(f"{mark} ")
            elif code == "b":
                parts.append(": ")
            else:
                parts.append(". ")
        parts.append(text)
        previous = value
    if not parts:
        raise RecordProblem("no title (245 $a)")
    return "".join(parts)


def _author(record: pymarc.Record) -> str:
    for fld in record.get_fields("100"):
        return clean(" ".join(fld.get_subfields("a", "b")))
    for fld in record.get_fields("110", "111"):
        return ". ".join(filter(None, (clean(v) for v in fld.get_subfields("a", "b"))))
    return ""


def isbn_from(value: str) -> str:
    """'978-0-14-143951-8 (pbk.)' -> '9780141439518'; '' if it is no ISBN."""
    match = _ISBN.match(value or "")
    if not match:
        return ""
    digits = re.sub(r"[^0-9X]", "", match.group(1).upper())
    if len(digits) == 13 and digits.isdigit():
        return digits
    if len(digits) == 10 and digits[:9].isdigit():
        return digits
    return ""


def _isbn(record: pymarc.Record) -> str:
    for fld in record.get_fields("020"):
        for value in fld.get_subfields("a"):
            if isbn := isbn_from(value):
                return isbn
    return ""


def year_from(value: str) -> int | None:
    for match in _YEAR.finditer(value or ""):
        year = int(match.group(1))
        if 1000 <= year <= 2100:
            return year
    return None


def _year(record: pymarc.Record) -> int | None:
    publication = [f for f in record.get_fields("264") if f.indicator2 == "1"]
    others = [f for f in record.get_fields("264") if f.indicator2 != "1"]
    for fld in [*publication, *record.get_fields("260"), *others]:
        for value in fld.get_subfields("c"):
            if year := year_from(value):
                return year
    for fld in record.get_fields("008"):
        # 008/07-10 is Date 1; "19uu" and blanks are not a year.
        if (year := (fld.data or "")[7:11]).isdigit():
            return year_from(year)
    return None


def _call_number(record: pymarc.Record) -> str:
    for tag in ("050", "090"):
        for fld in record.get_fields(tag):
            text = " ".join(filter(None, (_subfield(fld, "a"), _subfield(fld, "b"))))
            if text:
                return text
    for fld in record.get_fields("082"):
        if text := _subfield(fld, "a").replace("/", ""):  # "813/.54": the / only marks a cut
            return text
    for fld in record.get_fields("092"):
        text = " ".join(filter(None, (_subfield(fld, "a"), _subfield(fld, "b"))))
        if text:
            return text
    return ""


def parse_title(record: pymarc.Record) -> dict:
    """The Title fields of a record. Raises RecordProblem for a record without a title."""
    control = record.get_fields("001")
    summary = record.get_fields("520")
    return {
        "title": _title(record)[:500],
        "author": _author(record)[:300],
        "isbn": _isbn(record),
        "publication_year": _year(record),
        "call_number": _call_number(record)[:50],
        "control_number": ((control[0].data or "").strip() if control else "")[:50],
        "summary": " ".join(summary[0].get_subfields("a")).strip() if summary else "",
    }


def item_type_for(code: str) -> str:
    """Koha's 952 $y, loosely: BK/BOOK -> book, DVD -> dvd, AUD/CD -> audiobook,
    LP -> large print, MAG/SER -> magazine, anything else -> book."""
    key = re.sub(r"[^A-Z]", "", (code or "").upper())
    if key in ITEM_TYPES:
        return ITEM_TYPES[key]
    for fragment, item_type in (
        ("DVD", Item.ItemType.DVD),
        ("VIDEO", Item.ItemType.DVD),
        ("BLU", Item.ItemType.DVD),
        ("AUDIO", Item.ItemType.AUDIOBOOK),
        ("LARGE", Item.ItemType.LARGE_PRINT),
        ("MAG", Item.ItemType.MAGAZINE),
        ("PERIODICAL", Item.ItemType.MAGAZINE),
    ):
        if fragment in key:
            return item_type
    return Item.ItemType.BOOK


def price_from(value: str) -> Decimal | None:
    """'24.95', '$24.95', '24,95 EUR', '1,024.50' -> a Decimal; None if there is no price."""
    match = _PRICE.search(value or "")
    if not match:
        return None
    number = match.group(0).rstrip(".,")
    if "," in number and "." in number:
        number = number.replace(",", "")  # 1,024.50
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+", number):
        number = number.replace(",", "")  # 1,024
    else:
        number = number.replace(",", ".")  # 24,95
    try:
        price = Decimal(number).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return price if price <= MAX_PRICE else None


def _flag(fld: pymarc.Field, code: str) -> bool:
    value = _subfield(fld, code)
    return bool(value) and value != "0"


# --- saving ----------------------------------------------------------------------------


def _find_title(data: dict) -> Title | None:
    if data["control_number"]:
        found = Title.objects.filter(control_number=data["control_number"]).order_by("pk")
        if title := found.first():
            return title
    if data["isbn"]:
        return Title.objects.filter(isbn=data["isbn"]).order_by("pk").first()
    return None


def _save_title(data: dict) -> tuple[Title, bool]:
    """(title, created). A found title takes every value the record has; a value the
    record lacks is left as it is, and a control number already set is kept."""
    title = _find_title(data)
    if title is None:
        return Title.objects.create(**data), True
    changed = []
    for name, value in data.items():
        if value in ("", None) or getattr(title, name) == value:
            continue
        if name == "control_number" and title.control_number:
            continue
        setattr(title, name, value)
        changed.append(name)
    if changed:
        title.save(update_fields=changed)
    return title, False


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
) -> tuple[bool, list[str]]:
    """Save one record in its own transaction; the counts change only once it is saved."""
    data = parse_title(record)
    counts = {"created": 0, "updated": 0}
    with transaction.atomic():
        title, created = _save_title(data)
        notes = _save_items(record, title, branches, counts)
    result.items_created += counts["created"]
    result.items_updated += counts["updated"]
    return created, notes


class _DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


def marc_import(
    *,
    paths: list[Path],
    actor=None,
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
    audit = contextlib.nullcontext()
    if actor is not None:
        from auditlog.context import set_actor

        audit = set_actor(actor)
    with audit, contextlib.suppress(_DryRun), outer:
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
    for position, record, problem, fraction in read_records(path):
        if record is None:
            result.problems.append(Problem(str(path), position, problem))
            if position:  # 0 is the whole file, not a record
                result.skipped += 1
                yield fraction
            continue
        try:
            created, notes = _import_record(record, branches, result)
        except RecordProblem as error:
            result.skipped += 1
            result.problems.append(Problem(str(path), position, f"{error}; skipped"))
        except Exception as error:  # one record that cannot be saved never stops the file
            result.skipped += 1
            result.problems.append(
                Problem(str(path), position, f"could not be saved: {_describe(error)}; skipped")
            )
        else:
            if created:
                result.imported += 1
            else:
                result.updated += 1
            result.problems.extend(Problem(str(path), position, note) for note in notes)
        yield fraction
