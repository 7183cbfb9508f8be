"""MARC 21 fields -> catalog values: what a bibliographic record says its title, author,
ISBN, year, call number, subjects, series, language, format, audience and summary are,
and what a Koha 952 holding's item type and price are. Pure functions of a pymarc record.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

import pymarc

from circulation.models import Item, Title
from core.text import isbn13 as isbn13_of

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


class RecordProblem(Exception):
    """A record that cannot be imported, with the reason."""


def clean(value: str | None) -> str:
    """A value without the ISBD punctuation that ends it ("Title :", "Smith, Jane,"), its
    accents composed (NFC: many records write "é" as "e" and a combining accent)."""
    text = unicodedata.normalize("NFC", " ".join((value or "").split()))
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


def _isbn(record: pymarc.Record) -> tuple[str, str, str]:
    """(ISBN as written, its checked ISBN-13, a note): the first valid ISBN of the 020 $a
    fields; when none is valid, the first that looks like one, kept without an ISBN-13."""
    shaped = []
    for fld in record.get_fields("020"):
        for value in fld.get_subfields("a"):
            if isbn := isbn_from(value):
                if checked := isbn13_of(isbn):
                    return isbn, checked, ""
                shaped.append(isbn)
    if shaped:
        note = f"ISBN {shaped[0]} has a wrong check digit: kept, but not used to find duplicates"
        return shaped[0], "", note
    return "", "", ""


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


SUBJECT_TAGS = ("600", "610", "611", "630", "647", "648", "650", "651", "655")
SUBDIVISIONS = {"v", "x", "y", "z"}  # form, general, chronological, geographic
SERIES_TAGS = ("830", "800", "810", "811", "490")  # authorised forms first


def _subjects(record: pymarc.Record) -> list[str]:
    """6XX headings, subdivisions joined with ' -- ': 'Operas -- Librettos',
    'Verdi, Giuseppe, 1813-1901. Aida'."""
    found: list[str] = []
    for fld in record.get_fields(*SUBJECT_TAGS):
        parts: list[str] = []  # the main heading, then one entry per subdivision
        for code, value in fld.subfields:
            if not code.isalpha() or not value.strip():
                continue  # $0, $2...: identifiers and sources, not words
            if parts and code not in SUBDIVISIONS:
                parts[-1] = f"{parts[-1]} {value.strip()}"
            else:
                parts.append(value.strip())
        heading = " -- ".join(filter(None, map(clean, parts)))
        if heading and heading not in found:
            found.append(heading[:200])
    return found


def _series(record: pymarc.Record) -> str:
    for tag in SERIES_TAGS:
        for fld in record.get_fields(tag):
            name = " ".join(clean(v) for v in fld.get_subfields("a", "t", "n", "p") if clean(v))
            number = clean(_subfield(fld, "v"))
            if name:
                return f"{name} ; {number}" if number else name
    return ""


_LANGUAGE = re.compile(r"[a-z]{3}")


def _language(record: pymarc.Record) -> str:
    """008/35-37, else the first 041 $a; MARC codes such as eng, spa, fre."""
    for fld in record.get_fields("008"):
        code = (fld.data or "")[35:38].lower()
        if _LANGUAGE.fullmatch(code) and code not in {"zxx", "und"}:
            return code
    for fld in record.get_fields("041"):
        code = _subfield(fld, "a")[:3].lower()
        if _LANGUAGE.fullmatch(code):
            return code
    return ""


def format_of(leader: str, fixed: str) -> str:
    """Leader/06 (type of record), leader/07 (bibliographic level) and 008/23 (form of
    item, for books and music) -> a Title.Format."""
    kind, level = leader[6:7], leader[7:8]
    form = fixed[23:24]
    if kind in {"a", "t"}:
        if level in {"s", "i"}:
            return Title.Format.MAGAZINE
        if form == "d":
            return Title.Format.LARGE_PRINT
        if form in {"o", "q", "s"}:
            return Title.Format.ELECTRONIC
        return Title.Format.BOOK
    return {
        "i": Title.Format.AUDIOBOOK,  # spoken word
        "j": Title.Format.MUSIC,
        "g": Title.Format.DVD,  # projected medium: video
        "c": Title.Format.SCORE,
        "d": Title.Format.SCORE,
        "e": Title.Format.MAP,
        "f": Title.Format.MAP,
        "m": Title.Format.ELECTRONIC,
    }.get(kind, Title.Format.OTHER)


#: Leader/06 (type of record) of the kinds whose 008/22 is the target audience: books,
#: music and scores, visual materials, computer files. (A map's 008/22 is its projection,
#: a serial's the form of the original.)
_AUDIENCE_KINDS = set("acdgijkmort")
#: 008/22, target audience: a-c preschool to pre-adolescent and j juvenile are children;
#: d adolescent is young adult; e adult, f specialized and g general are adult. Blank,
#: "|" (not coded) and anything else: not known.
_AUDIENCE = {
    **dict.fromkeys("abcj", Title.Audience.CHILDREN),
    "d": Title.Audience.YOUNG_ADULT,
    **dict.fromkeys("efg", Title.Audience.ADULT),
}


def audience_of(leader: str, fixed: str) -> str:
    """008/22 (target audience) -> a Title.Audience; "" when the record does not say."""
    kind, level = leader[6:7], leader[7:8]
    if kind not in _AUDIENCE_KINDS or (kind in {"a", "t"} and level in {"s", "i"}):
        return Title.Audience.UNKNOWN
    return _AUDIENCE.get(fixed[22:23], Title.Audience.UNKNOWN)


def _control(record: pymarc.Record, tag: str) -> str:
    found = record.get_fields(tag)
    return ((found[0].data or "").strip() if found else "")[:50]


def parse_title(record: pymarc.Record) -> tuple[dict, list[str]]:
    """The Title fields of a record, and notes about it. Raises RecordProblem for a
    record without a title."""
    summary = record.get_fields("520")
    fixed = record.get_fields("008")
    isbn, isbn13, isbn_note = _isbn(record)
    data = {
        "title": _title(record)[:500],
        "author": _author(record)[:300],
        "isbn": isbn,
        "isbn13": isbn13,
        "publication_year": _year(record),
        "call_number": _call_number(record)[:50],
        "control_number": _control(record, "001"),
        "control_source": _control(record, "003"),
        "format": format_of(str(record.leader or ""), (fixed[0].data or "") if fixed else ""),
        "audience": audience_of(str(record.leader or ""), (fixed[0].data or "") if fixed else ""),
        "language": _language(record),
        "subjects": "\n".join(_subjects(record)),
        "series": _series(record)[:300],
        "summary": unicodedata.normalize("NFC", " ".join(summary[0].get_subfields("a")).strip())
        if summary
        else "",
    }
    return data, [isbn_note] if isbn_note else []


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
