"""Library card numbers: 14 digits, the library's prefix (`CALUMET_CARD_PREFIX`), a
serial, and a Luhn (mod 10) check digit, the scheme most library barcodes use. A typed
number for a NEW card must carry a valid check digit; cards issued before the check was
introduced keep working as they are (their numbers are only checked for 14 digits)."""

from __future__ import annotations

import secrets

from django.conf import settings

LENGTH = 14


def luhn_check_digit(body: str) -> str:
    """The digit that makes body + digit pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # doubled: these sit second from the right once the digit is added
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return (
        isinstance(number, str)
        and number.isascii()
        and number.isdigit()
        and len(number) > 1
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def card_number_problem(number: str) -> str | None:
    """Why a typed number cannot be a new card, or None."""
    if not isinstance(number, str) or not number.isascii() or not number.isdigit():
        return "A library card number is digits only."
    if len(number) != LENGTH:
        return f"A library card number is {LENGTH} digits, as printed under the barcode."
    if not luhn_valid(number):
        return (
            "The last digit of that card number is not right: check it was typed or "
            "scanned correctly."
        )
    return None


def new_card_number(taken=None) -> str:
    """A fresh number: prefix, random serial, check digit. `taken(number)` says whether a
    number is in use (retried then)."""
    prefix = settings.CALUMET_CARD_PREFIX
    serial_length = LENGTH - len(prefix) - 1
    while True:
        body = prefix + "".join(str(secrets.randbelow(10)) for _ in range(serial_length))
        number = body + luhn_check_digit(body)
        if taken is None or not taken(number):
            return number
