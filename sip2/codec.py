"""SIP2 (3M Standard Interchange Protocol 2.00) messages: parse and build.

A message is a two-digit command, fixed-length fields in the order the protocol gives
for that command, then variable fields (a two-letter id, the value, "|"), optionally
ended by the error-detection trailer `AY<sequence digit>AZ<checksum>` and a carriage
return. The checksum is the 16-bit two's complement of the sum of the bytes from the
start of the message up to and including "AZ", as four upper-case hex digits.

Nothing here touches the database or logs anything. Every problem with the input is a
`SIP2Error` (or a subclass); no other exception leaves `parse()`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.utils import timezone

ENCODING = "utf-8"
FIELD_END = "|"
MESSAGE_END = "\r"
MAX_VALUE = 255  # longest variable field we send; longer values are cut

#: Fixed-length fields of each command, in order: (name, length).
LAYOUTS: dict[str, tuple[tuple[str, int], ...]] = {
    # requests from the self-check (SC) to the library system (ACS)
    "93": (("uid_algorithm", 1), ("pwd_algorithm", 1)),
    "99": (("status_code", 1), ("max_print_width", 3), ("protocol_version", 4)),
    "23": (("language", 3), ("transaction_date", 18)),
    "63": (("language", 3), ("transaction_date", 18), ("summary", 10)),
    "11": (
        ("sc_renewal_policy", 1),
        ("no_block", 1),
        ("transaction_date", 18),
        ("nb_due_date", 18),
    ),
    "09": (("no_block", 1), ("transaction_date", 18), ("return_date", 18)),
    "17": (("transaction_date", 18),),
    "29": (
        ("third_party_allowed", 1),
        ("no_block", 1),
        ("transaction_date", 18),
        ("nb_due_date", 18),
    ),
    "65": (("transaction_date", 18),),
    "35": (("transaction_date", 18),),
    "37": (
        ("transaction_date", 18),
        ("fee_type", 2),
        ("payment_type", 2),
        ("currency_type", 3),
    ),
    "97": (),
    # requests a terminal may send only when its account allows them
    "01": (("card_retained", 1), ("transaction_date", 18)),  # block patron
    "15": (("hold_mode", 1), ("transaction_date", 18)),  # hold
    "19": (("transaction_date", 18),),  # item status update
    "25": (("transaction_date", 18),),  # patron enable
    # answers from the ACS
    "94": (("ok", 1),),
    "98": (
        ("online_status", 1),
        ("checkin_ok", 1),
        ("checkout_ok", 1),
        ("acs_renewal_policy", 1),
        ("status_update_ok", 1),
        ("offline_ok", 1),
        ("timeout_period", 3),
        ("retries_allowed", 3),
        ("date_time_sync", 18),
        ("protocol_version", 4),
    ),
    "24": (("patron_status", 14), ("language", 3), ("transaction_date", 18)),
    "64": (
        ("patron_status", 14),
        ("language", 3),
        ("transaction_date", 18),
        ("hold_items_count", 4),
        ("overdue_items_count", 4),
        ("charged_items_count", 4),
        ("fine_items_count", 4),
        ("recall_items_count", 4),
        ("unavailable_holds_count", 4),
    ),
    "12": (
        ("ok", 1),
        ("renewal_ok", 1),
        ("magnetic_media", 1),
        ("desensitize", 1),
        ("transaction_date", 18),
    ),
    "10": (
        ("ok", 1),
        ("resensitize", 1),
        ("magnetic_media", 1),
        ("alert", 1),
        ("transaction_date", 18),
    ),
    "18": (
        ("circulation_status", 2),
        ("security_marker", 2),
        ("fee_type", 2),
        ("transaction_date", 18),
    ),
    "30": (
        ("ok", 1),
        ("renewal_ok", 1),
        ("magnetic_media", 1),
        ("desensitize", 1),
        ("transaction_date", 18),
    ),
    "66": (
        ("ok", 1),
        ("renewed_count", 4),
        ("unrenewed_count", 4),
        ("transaction_date", 18),
    ),
    "36": (("end_session", 1), ("transaction_date", 18)),
    "38": (("payment_accepted", 1), ("transaction_date", 18)),
    "96": (),
    "16": (("ok", 1), ("available", 1), ("transaction_date", 18)),
    "20": (("item_properties_ok", 1), ("transaction_date", 18)),
    "26": (("patron_status", 14), ("language", 3), ("transaction_date", 18)),
}

REQUESTS = frozenset(
    {"93", "99", "23", "63", "11", "09", "17", "29", "65", "35", "37", "97", "01", "15", "19", "25"}
)
#: Requests of the protocol that Calumet does not do (the status answer's BX says so);
#: they would get their negative answer. Since block patron, hold, item status update and
#: patron enable are done (for terminals allowed them), none.
UNSUPPORTED: frozenset[str] = frozenset()

_TRAILER = re.compile(r"(?:\|?AY(?P<seq>\d))?\|?AZ(?P<sum>[0-9A-Fa-f]{1,4})$")
_SEQ_ONLY = re.compile(r"\|?AY(?P<seq>\d)\|?$")
_FIELD_ID = re.compile(r"^[A-Z0-9]{2}$")


class SIP2Error(ValueError):
    """The input is not a SIP2 message we can read. `reason` is safe to log: it never
    holds any part of the message."""

    reason = "malformed"

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or self.reason)
        if reason:
            self.reason = reason


class ChecksumError(SIP2Error):
    reason = "checksum"


@dataclass
class Message:
    command: str
    fixed: dict[str, str] = field(default_factory=dict)
    fields: list[tuple[str, str]] = field(default_factory=list)
    sequence: int | None = None
    checksummed: bool = False

    def get(self, field_id: str, default: str = "") -> str:
        """The first value of a variable field, or `default`."""
        for key, value in self.fields:
            if key == field_id:
                return value
        return default

    def get_all(self, field_id: str) -> list[str]:
        return [value for key, value in self.fields if key == field_id]

    def has(self, field_id: str) -> bool:
        return any(key == field_id for key, _ in self.fields)

    def add(self, field_id: str, value) -> Message:
        self.fields.append((field_id, "" if value is None else str(value)))
        return self


def checksum(data: bytes) -> str:
    """Four hex digits that make the byte sum of `data` + checksum zero (mod 2**16)."""
    return f"{(-sum(data)) & 0xFFFF:04X}"


def _text(raw: bytes | str) -> tuple[str, bytes]:
    if isinstance(raw, str):
        try:
            return raw, raw.encode(ENCODING)
        except UnicodeEncodeError:
            raise SIP2Error("encoding") from None
    if not isinstance(raw, bytes | bytearray):
        raise SIP2Error("type")
    data = bytes(raw)
    try:
        return data.decode(ENCODING), data
    except UnicodeDecodeError:
        # Many self-check machines send Latin-1; every byte decodes in it.
        return data.decode("latin-1"), data


def parse(raw: bytes | str, *, verify_checksum: bool = True) -> Message:
    """Read one message (without or with its final CR/LF). Raises SIP2Error."""
    text, data = _text(raw)
    text = text.strip("\r\n")
    data = data.strip(b"\r\n")
    if "\r" in text or "\x00" in text:
        raise SIP2Error("control character")
    if len(text) < 2 or not text[:2].isdigit():
        raise SIP2Error("command")
    command = text[:2]
    layout = LAYOUTS.get(command)
    if layout is None:
        raise SIP2Error("unsupported command")

    sequence = None
    checksummed = False
    body = text
    trailer = _TRAILER.search(text)
    if trailer:
        checksummed = True
        if trailer.group("seq") is not None:
            sequence = int(trailer.group("seq"))
        if verify_checksum:
            upto = data.rfind(b"AZ")
            given = int(trailer.group("sum"), 16)
            if upto < 0 or (sum(data[: upto + 2]) + given) & 0xFFFF:
                raise ChecksumError()
        body = text[: trailer.start()]
    else:
        only_seq = _SEQ_ONLY.search(text)
        if only_seq and len(text) - only_seq.end() == 0 and only_seq.start() >= 2:
            sequence = int(only_seq.group("seq"))
            body = text[: only_seq.start()]

    position = 2
    fixed = {}
    for name, length in layout:
        value = body[position : position + length]
        if len(value) != length:
            raise SIP2Error("fixed fields too short")
        fixed[name] = value
        position += length

    fields = []
    for piece in body[position:].split(FIELD_END):
        if not piece:
            continue
        field_id = piece[:2]
        if not _FIELD_ID.match(field_id):
            raise SIP2Error("field id")
        fields.append((field_id, piece[2:]))
    return Message(command, fixed, fields, sequence, checksummed)


def _clean(value: str) -> str:
    return "".join(ch for ch in value if ch not in "|\r\n\x00")[:MAX_VALUE]


def build(message: Message, *, error_detection: bool | None = None) -> bytes:
    """The message as bytes, CR-terminated. With error detection (by default when the
    message has a sequence number) the AY/AZ trailer is appended."""
    layout = LAYOUTS.get(message.command)
    if layout is None:
        raise SIP2Error("unsupported command")
    parts = [message.command]
    for name, length in layout:
        value = _clean(str(message.fixed.get(name, "")))
        parts.append(value[:length].ljust(length))
    for field_id, value in message.fields:
        if not _FIELD_ID.match(field_id):
            raise SIP2Error("field id")
        parts.append(f"{field_id}{_clean(value)}{FIELD_END}")
    text = "".join(parts)
    if error_detection is None:
        error_detection = message.sequence is not None or message.checksummed
    if error_detection:
        text += f"AY{(message.sequence or 0) % 10}AZ"
        data = text.encode(ENCODING)
        return data + checksum(data).encode("ascii") + b"\r"
    return text.encode(ENCODING) + b"\r"


def timestamp(moment: datetime.datetime | None) -> str:
    """YYYYMMDDZZZZHHMMSS in local time (the ZZZZ zone blank), or 18 blanks."""
    if moment is None:
        return " " * 18

    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return local.strftime("%Y%m%d    %H%M%S")


def read_timestamp(value: str) -> datetime.datetime | None:
    """A date a terminal sent (YYYYMMDDZZZZHHMMSS; zone blank for local time, or "Z" in
    its last place for UTC) as an aware datetime; None when the field is blank. Raises
    ValueError for anything else (a 13th month, letters, another time zone)."""
    value = value or ""
    if not value.strip():
        return None
    if len(value) != 18:
        raise ValueError("date length")
    day, zone, time = value[:8], value[8:12], value[12:]
    if not (day.isdigit() and time.isdigit()) or zone.strip() not in ("", "Z"):
        raise ValueError("date form")
    moment = datetime.datetime.strptime(day + time, "%Y%m%d%H%M%S")
    if zone.strip() == "Z":
        return moment.replace(tzinfo=datetime.UTC)
    return timezone.make_aware(moment)


def yes(flag: bool) -> str:
    return "Y" if flag else "N"


def count(number: int | None) -> str:
    """A 4-digit count field (blanks when unknown, 9999 at most)."""
    return "    " if number is None else f"{min(max(int(number), 0), 9999):04d}"
