"""The folded search key a patron is found by at the desk (`Patron.search_key`).

The key holds the words of the patron's names, folded as the catalog folds its words
(accents and case away: "Núñez" -> "nunez"; the one `core.text.fold`), each compound name
also written as one word ("De la Cruz" -> "de la cruz delacruz", "O'Brien" -> "o brien
obrien"), and the phone number as its digits read backwards after a '#' (so that "the
number ends with these digits" is "a word starts with these", which an index answers).

`Patron.save()` keeps the key current; the migration that added it filled it in. It is
patron data: a column of the patron's row, deleted with it, and left out of the audit log.
No model imports here: the model uses this module.
"""

from __future__ import annotations

from core.text import words

#: Marks the phone's reversed digits, so that a name never matches a phone.
PHONE_MARK = "#"
#: The digits of a phone number that are compared: a number typed or kept with a country
#: code still matches one without it.
PHONE_DIGITS = 10
#: A search with at least this many digits (and little else) is a phone number.
MIN_PHONE_DIGITS = 7


def digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isascii() and ch.isdigit())


def phone_word(phone: str | None) -> str:
    """The phone's last `PHONE_DIGITS` digits backwards, marked; '' without digits."""
    found = digits(phone)[-PHONE_DIGITS:]
    return f"{PHONE_MARK}{found[::-1]}" if found else ""


def search_key(*, first_name: str, last_name: str, phone: str) -> str:
    """The key of a patron: their name words (and compound names as one word), then the
    phone word, separated by single spaces, each word once."""
    found: list[str] = []
    for name in (first_name, last_name):
        parts = words(name)
        found += parts
        if len(parts) > 1:
            found.append("".join(parts))
    phone = phone_word(phone)
    if phone:
        found.append(phone)
    return " ".join(dict.fromkeys(found))


def phone_query(query: str) -> str:
    """The phone word prefix to look for when the query is a phone number (at least
    `MIN_PHONE_DIGITS` digits and hardly anything else: "(555) 010-2345", "555.010.2345",
    "0102345"); '' when it is not one."""
    found = digits(query)
    compact = "".join(query.split())
    if len(found) < MIN_PHONE_DIGITS or len(found) < len(compact) - 4:
        return ""
    return phone_word(found)
