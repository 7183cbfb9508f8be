"""Read-only queries of the patrons app."""

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from patrons.models import Patron, StaffRole
from patrons.search_key import phone_query, words
from staff.roles import CIRCULATION_STAFF, LIBRARIAN, LIBRARY_ADMINISTRATOR

#: More words than this add nothing but cost.
SEARCH_WORDS = 6
# The words of `Patron.search_key` as a text-search vector, used as they are (no parser, no
# dictionary): the expression of the GIN index of migration patrons 0021, written the same
# way so that PostgreSQL uses the index.
SEARCH_KEY_WORDS = "array_to_tsvector(array_remove(string_to_array({column}, ' '), ''))"


def patron_search(query: str, *, limit: int = 20):
    """Patrons found by what the desk types for a patron without their card, at most
    `limit`, with their cards loaded, by name:

    - by name: every typed word starts a word of the patron's names, in any order, accents
      and case aside ("nunez", "NÚÑEZ", "Peña José", "mar nu"); a compound name also as one
      word ("delacruz", "obrien");
    - by phone (at least seven digits and little else, in any format): the number ends
      with those digits ("(555) 010-2345", "555.010.2345", "0102345");
    - by email address: the same address, case aside.

    Names and phone are matched in `Patron.search_key` (patrons/search_key.py), through an
    index on PostgreSQL."""
    query = " ".join((query or "").split())[:100]
    if len(query) < 2:
        return []
    patrons = Patron.objects.prefetch_related("cards")
    if "@" in query:
        return list(patrons.filter(email__iexact=query).order_by(*Patron._meta.ordering)[:limit])
    phone = phone_query(query)
    terms = [phone] if phone else list(dict.fromkeys(words(query)))[:SEARCH_WORDS]
    if not terms:
        return []
    if connection.vendor == "postgresql":
        # Each term is letters and digits (or '#' and digits): nothing to escape in a
        # quoted lexeme; the whole query still goes as a parameter.
        matches = " & ".join(f"'{term}':*" for term in terms)
        column = f'"{Patron._meta.db_table}"."search_key"'
        found = patrons.filter(
            # The SQL is written here (the table's own name); the words go as a parameter.
            RawSQL(  # noqa: S611
                SEARCH_KEY_WORDS.format(column=column) + " @@ %s::tsquery",
                [matches],
                output_field=BooleanField(),
            )
        )
    else:
        found = patrons
        for term in terms:  # a word of the key starts so: at its start, or after a space
            found = found.filter(
                Q(search_key__startswith=term) | Q(search_key__contains=f" {term}")
            )
    return list(found.order_by(*Patron._meta.ordering)[:limit])


def namesake_hint(patron) -> dict:
    """Enough to tell two patrons of the same name apart, and no more: the birth year and
    the start of the address."""
    address = patron.address_line1 or ""
    return {
        "born": patron.birth_date.year if patron.birth_date else None,
        "address": (address[:8] + "…") if len(address) > 8 else address,
        "city": patron.city,
    }


def staff_role_of(actor) -> str:
    """The role a patron is told of for a staff member (never a name)."""
    if actor is None or not getattr(actor, "is_staff", False):
        return ""
    groups = set(actor.groups.values_list("name", flat=True))
    for group, role in (
        (LIBRARY_ADMINISTRATOR, StaffRole.ADMINISTRATOR),
        (LIBRARIAN, StaffRole.LIBRARIAN),
        (CIRCULATION_STAFF, StaffRole.CIRCULATION),
    ):
        if group in groups:
            return role
    return StaffRole.STAFF
