"""Bring patrons over from another system: rows of a CSV export, mapped to our fields,
each checked and imported or refused with a reason. Idempotent on the card number (a card
already here is left as it is); PINs are never imported: every imported patron must set
one through a reset link or at the desk (`pin_must_change`, no PIN hash).

Card numbers come from the old system's cards, already in patrons' hands: they must be
14 digits but need not carry our Luhn check digit (which applies to new cards).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from patrons.accounts import card_expiry
from patrons.models import Card, Patron, PatronCategory

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
    imported: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)


class RowRefused(Exception):
    pass


def _date(value: str, what: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise RowRefused(f"{what} is not a date (YYYY-MM-DD)") from None


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
        birth_date=_date(value.get("birth_date", ""), "birth date"),
        category_id=category,
        home_branch=branch,
        card_expires_on=expires,
        status=Patron.Status.ACTIVE if expires >= today else Patron.Status.EXPIRED,
        pin_hash="",
        pin_must_change=True,
    )
    return patron, number


def import_rows(
    rows: Iterable[dict],
    *,
    mapping: dict[str, str],
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    chunk: int = 500,
) -> ImportResult:
    """Import the rows (dicts from csv.DictReader). Row numbers in the report count the
    header as row 1, as a spreadsheet shows them."""
    result = ImportResult()
    lookups = _Lookups()
    today = timezone.localdate()
    seen: set[str] = set()
    batch: list[tuple[Patron, str]] = []

    def flush():
        if dry_run or not batch:
            batch.clear()
            return
        with transaction.atomic():
            for patron, number in batch:
                patron.save()
                Card.objects.create(
                    patron=patron,
                    number=number,
                    status=Card.Status.ACTIVE
                    if patron.status == Patron.Status.ACTIVE
                    else Card.Status.EXPIRED,
                )
        batch.clear()

    for index, row in enumerate(rows, start=2):
        try:
            patron, number = _patron_from(row, mapping, lookups, today)
            if number in seen:
                raise RowRefused("card number appears twice in the file")
            seen.add(number)
        except RowRefused as refusal:
            result.refused.append((index, str(refusal)))
        else:
            if Card.objects.filter(number=number).exists():
                result.unchanged += 1
            else:
                batch.append((patron, number))
                result.imported += 1
        if len(batch) >= chunk:
            flush()
        if progress:
            progress(1)
    flush()
    return result
