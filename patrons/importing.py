"""Bring patrons over from another system: rows of a CSV export, mapped to our fields,
each checked, and refused with its row number and a reason. An import is all or nothing:
every row is checked first, and the patrons are saved (in one transaction) only when no
row was refused. Idempotent on the card number: a card already here, of the same patron
(same names, and the same birth date when both have one), leaves its row unchanged; a card
already here of another patron is refused. PINs are never imported: every imported patron
must set one through a reset link or at the desk (`pin_must_change`, no PIN hash).

Card numbers come from the old system's cards, already in patrons' hands: they must be
14 digits but need not carry our Luhn check digit (which applies to new cards).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from patrons.accounts import card_expiry
from patrons.models import Card, Patron, PatronCategory
from privacy.acting import service

# Our field -> the column of the file, per known export.
MAPPINGS: dict[str, dict[str, str]] = {
    "calumet": {
        "card_number": "card_number",
        "last_name": "last_name",
        "first_name": "first_name",
        "email": "email",
        "phone": "phone",
        "address_line1": "address",
        "city": "city",
        "postal_code": "postal_code",
        "birth_date": "birth_date",
        "category": "category",
        "home_branch": "home_branch",
        "card_expires_on": "expires_on",
    },
    # A Koha borrowers export (Tools → Export, or SQL on the borrowers table).
    "koha": {
        "card_number": "cardnumber",
        "last_name": "surname",
        "first_name": "firstname",
        "email": "email",
        "phone": "phone",
        "address_line1": "address",
        "city": "city",
        "postal_code": "zipcode",
        "birth_date": "dateofbirth",
        "category": "categorycode",
        "home_branch": "branchcode",
        "card_expires_on": "dateexpiry",
    },
}
REQUIRED = ("card_number", "last_name", "first_name")
LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "phone": 30,
    "address_line1": 200,
    "city": 100,
    "postal_code": 20,
}


@dataclass
class ImportResult:
    imported: int = 0  # imported, or (dry run, or refused rows) would be
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    saved: bool = False  # False: nothing was written (a dry run, or a row was refused)


class RowRefused(Exception):
    pass


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def _date(value: str, what: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value or value == "0000-00-00":
        return None
    if not _ISO_DATE.fullmatch(value):
        raise RowRefused(f"{what} is not a date (YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RowRefused(f"{what} is not a date of the calendar") from None


def _birth_date(value: str, today: datetime.date) -> datetime.date | None:
    born = _date(value, "birth date")
    if born is not None and born > today:
        raise RowRefused("birth date is in the future")
    if born is not None and born < EARLIEST_BIRTH:
        raise RowRefused(f"birth date is before {EARLIEST_BIRTH.year}")
    return born


def _same_person(patron: Patron, other: Patron) -> bool:
    """Is the patron of a card already here the one this row describes?"""

    def name(text: str) -> str:
        return " ".join(text.split()).casefold()

    if (name(patron.last_name), name(patron.first_name)) != (
        name(other.last_name),
        name(other.first_name),
    ):
        return False
    if patron.birth_date and other.birth_date:
        return patron.birth_date == other.birth_date
    return True


class _Lookups:
    def __init__(self):
        branch_model = Patron._meta.get_field("home_branch").related_model
        self.branches = {b.code.lower(): b for b in branch_model.objects.all()}
        self.categories = {
            c.lower(): c for c in PatronCategory.objects.values_list("code", flat=True)
        }


def _patron_from(row: dict, mapping: dict, lookups: _Lookups, today) -> tuple[Patron, str]:
    value = {ours: (row.get(theirs) or "").strip() for ours, theirs in mapping.items()}
    for name in REQUIRED:
        if not value.get(name):
            raise RowRefused(f"no {name.replace('_', ' ')}")
    number = "".join(value["card_number"].split())
    if not (number.isascii() and number.isdigit() and len(number) == 14):
        raise RowRefused("card number is not 14 digits")
    for name, limit in LIMITS.items():
        if len(value.get(name, "")) > limit:
            raise RowRefused(f"{name.replace('_', ' ')} is longer than {limit} characters")
    if value.get("email"):
        try:
            validate_email(value["email"])
        except ValidationError:
            raise RowRefused("email address is not valid") from None
    category = lookups.categories.get(value.get("category", "").lower() or "adult")
    if category is None:
        raise RowRefused("unknown patron category (add it under Patron categories first)")
    branch = None
    if value.get("home_branch"):
        branch = lookups.branches.get(value["home_branch"].lower())
        if branch is None:
            raise RowRefused("unknown branch code")
    expires = _date(value.get("card_expires_on", ""), "expiry date") or card_expiry(today)
    patron = Patron(
        first_name=value["first_name"],
        last_name=value["last_name"],
        email=value.get("email", ""),
        phone=value.get("phone", ""),
        address_line1=value.get("address_line1", ""),
        city=value.get("city", ""),
        postal_code=value.get("postal_code", ""),
        birth_date=_birth_date(value.get("birth_date", ""), today),
        category_id=category,
        home_branch=branch,
        card_expires_on=expires,
        status=Patron.Status.ACTIVE if expires >= today else Patron.Status.EXPIRED,
        pin_hash="",
        pin_must_change=True,
    )
    return patron, number


@service
def import_rows(
    rows: Iterable[dict],
    *,
    mapping: dict[str, str],
    actor,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check every row (dicts from csv.DictReader), then import them all in one
    transaction, or nothing if a row was refused (or for a dry run). Row numbers in the
    report count the header as row 1, as a spreadsheet shows them. The audit log names
    `actor` (None for the command: the system) as the author of every patron and card."""
    result = ImportResult()
    lookups = _Lookups()
    today = timezone.localdate()
    seen: set[str] = set()
    new: list[tuple[Patron, str]] = []

    for index, row in enumerate(rows, start=2):
        try:
            patron, number = _patron_from(row, mapping, lookups, today)
            if number in seen:
                raise RowRefused("card number appears twice in the file")
            seen.add(number)
            card = Card.objects.select_related("patron").filter(number=number).first()
            if card is not None and not _same_person(patron, card.patron):
                raise RowRefused("card number belongs to another patron here")
        except RowRefused as refusal:
            result.refused.append((index, str(refusal)))
        else:
            if card is not None:
                result.unchanged += 1
            else:
                new.append((patron, number))
                result.imported += 1
        if progress:
            progress(1)
    if dry_run or result.refused:
        return result
    with transaction.atomic():
        for patron, number in new:
            patron.save()
            Card.objects.create(
                patron=patron,
                number=number,
                status=Card.Status.ACTIVE
                if patron.status == Patron.Status.ACTIVE
                else Card.Status.EXPIRED,
            )
    result.saved = True
    return result
