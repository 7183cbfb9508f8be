"""Reading MARC files record by record: binary MARC 21 (ISO 2709) and MARCXML, with pymarc.

`read_records(path)` yields every record with its position in the file (from 1), or the
reason it cannot be read. A binary record whose length or terminator is broken is skipped
up to the next record terminator, so the records after it are still read. What pymarc
says about a record it could read (a bad subfield code, missing indicators) is caught and
given back with that record as plain sentences, instead of Python warnings and log lines.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple
from xml.sax import SAXParseException

import pymarc
from pymarc.exceptions import FatalReaderError

RECORD_TERMINATOR = b"\x1d"
BLANK_BYTES = b" \t\r\n\x00\x1a\x1d"  # between records in some exports: newlines, NUL,
# DOS end-of-file, stray record terminators
UTF8_BOM = b"\xef\xbb\xbf"


class Read(NamedTuple):
    position: int
    record: pymarc.Record | None
    problem: str
    fraction: float
    notes: tuple[str, ...] = ()  # what pymarc had to say about a record it could read


class _PymarcLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _caught() -> Iterator[list[str]]:
    """Collect pymarc's warnings and log lines as sentences instead of letting them out."""
    notes: list[str] = []
    handler = _PymarcLog()
    logger = logging.getLogger("pymarc")
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield notes
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    notes.extend(_readable_warning(w.message) for w in caught)
    notes.extend(_readable(message) for message in handler.messages)


def _readable_warning(warning: Warning | str) -> str:
    raw = getattr(warning, "subf", None)  # pymarc's BadSubfieldCodeWarning
    if isinstance(raw, bytes):
        start = raw[1:21].decode("utf-8", "replace")
        return f"a subfield code is not a plain letter or digit (before {start!r}); read as is"
    return _readable(str(warning))


def _readable(message: str) -> str:
    if message.startswith("missing indicators"):
        return "a field has no indicators; read as blank"
    if message.startswith(("only 1 indicator", "more than 2 indicators")):
        return f"a field has the wrong number of indicators ({message.split(':')[0]})"
    return f"pymarc: {message}"


def read_records(path: Path) -> Iterator[Read]:
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


def _read_xml(path: Path) -> Iterator[Read]:
    # The whole file is parsed before anything is imported: a file that is not
    # well-formed is skipped whole rather than imported up to the error.
    try:
        with _caught() as notes:
            records = pymarc.parse_xml_to_array(str(path), strict=False)
    except Exception as error:  # SAXParseException, or a KeyError for a missing attribute
        reason = f"not readable as MARCXML ({_describe_xml_error(error)}); file skipped"
        yield Read(0, None, reason, 1.0)
        return
    for note in notes:  # pymarc's XML parser does not say which record: the file's
        yield Read(0, None, note, 0.0)
    total = len(records) or 1
    for position, record in enumerate(records, start=1):
        yield Read(position, record, "", position / total)


def _describe_xml_error(error: Exception) -> str:
    if isinstance(error, SAXParseException):
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}"
        return f"{error.getMessage()} at {where}"
    return describe(error)


def _marc_reader(handle: BinaryIO) -> pymarc.MARCReader:
    return pymarc.MARCReader(handle, to_unicode=True, force_utf8=True, permissive=True)


def _read_binary(handle: BinaryIO, size: int) -> Iterator[Read]:
    reader = _marc_reader(handle)
    position = 0
    while True:
        _skip_blank(handle)
        start = handle.tell()
        try:
            with _caught() as notes:
                record = next(reader)
        except StopIteration:
            return
        position += 1
        error = reader.current_exception
        if record is None and isinstance(error, UnicodeDecodeError):
            record = _as_marc8(reader.current_chunk)
        if record is not None:
            yield Read(position, record, "", min(handle.tell() / size, 1.0), tuple(notes))
            continue
        yield Read(
            position,
            None,
            f"broken record at byte {start}: {describe(error)}",
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


def describe(error: BaseException | None) -> str:
    if error is None:
        return "unreadable"
    message = str(error)
    name = error.__class__.__name__
    return f"{message} ({name})" if message and message != name else name
