"""Text for the catalog search: accents and case folded away, ISBNs in both forms.

Used by `Title.save()` to keep `Title.search_text` current, and by the search to fold the
patron's words the same way, so that `garcia marquez` matches "García Márquez" on every
database. No model imports here: the model uses this module.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import isbn as stdnum_isbn

_WORD = re.compile(r"[^\W_]+")
# Letters that do not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th"})


def fold(text: str | None) -> str:
    """Lower case, without accents: 'García Márquez' -> 'garcia marquez'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold().translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str | None) -> list[str]:
    """The folded words of a text, in order: punctuation and underscores separate words."""
    return _WORD.findall(fold(text))


def isbn13(value: str | None) -> str:
    """A valid ISBN-10 or ISBN-13 as its ISBN-13 digits; '' for anything else."""
    try:
        return stdnum_isbn.to_isbn13(stdnum_isbn.validate(value or ""))
    except Exception:  # stdnum's ValidationError and its subclasses
        return ""


def isbn10(value: str | None) -> str:
    """The ISBN-10 of a valid ISBN that has one (978 prefix); '' otherwise."""
    try:
        return stdnum_isbn.to_isbn10(stdnum_isbn.validate(value or ""))
    except Exception:
        return ""


def search_text(*, title, author, subjects, series, isbn, isbn13_value) -> str:
    """The folded words a title is found by, each preceded by a space, so that the
    fallback search can look for ' word' (a word that starts so) with LIKE."""
    parts = [title, author, subjects, series, isbn, isbn13_value, isbn10(isbn13_value or isbn)]
    found = words(" ".join(p for p in parts if p))
    return "".join(f" {w}" for w in found)


def sound_key(word: str) -> str:
    """A folded word's consonant skeleton, so that words spelt as they sound meet ("ostin"
    and "austen" are both "stn"): similar consonants made one, vowels and doubles dropped.
    The catalog's "did you mean" looks words up by it."""
    key = word.lower()
    for spelt, said in (("ph", "f"), ("ck", "k"), ("qu", "k"), ("c", "k"), ("q", "k")):
        key = key.replace(spelt, said)
    for spelt, said in (("z", "s"), ("x", "ks"), ("v", "b"), ("w", ""), ("h", ""), ("y", "")):
        key = key.replace(spelt, said)
    key = "".join(c for c in key if c not in "aeiou")
    return "".join(c for n, c in enumerate(key) if n == 0 or key[n - 1] != c)[:40]
