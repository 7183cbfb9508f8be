"""Read-only queries of the patrons app: the desk's patron search, a card that may be
used now (or the refusal that says why not), a patron's blocks in force."""

import datetime

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from patrons.exceptions import CardRefused, PatronRefusal
from patrons.models import Card, Patron, PatronBlock, StaffRole
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


def card_resolve(*, card_number: str, now: datetime.datetime | None = None) -> Card:
    """The active, unexpired card with this number, with its patron; refuses otherwise.

    The messages are for staff at the desk. (The portal shows one message for every
    refusal so that it cannot be used to learn which cards exist.)
    """
    number = (card_number or "").strip()
    card = Card.objects.select_related("patron").filter(number=number).first()
    if card is None:
        raise CardRefused(PatronRefusal.UNKNOWN_CARD)
    return card_check(card=card, now=now)


def card_check(*, card: Card, now: datetime.datetime | None = None) -> Card:
    """`card` (loaded with its patron) if it may be used now; refuses as `card_resolve`."""
    now = now or timezone.now()
    if card.status == Card.Status.LOST:
        raise CardRefused(PatronRefusal.LOST_CARD)
    if card.status == Card.Status.STOLEN:
        raise CardRefused(PatronRefusal.STOLEN_CARD)
    if card.status in (Card.Status.REPLACED, Card.Status.DAMAGED):
        raise CardRefused(PatronRefusal.REPLACED_CARD)
    patron = card.patron
    if (
        card.status == Card.Status.EXPIRED
        or patron.status == Patron.Status.EXPIRED
        or patron.card_expires_on < timezone.localdate(now)
    ):
        raise CardRefused(
            f"This card expired on {date_format(patron.card_expires_on, 'M j, Y')}. "
            "Renew the patron's registration first.",
            code=PatronRefusal.EXPIRED_CARD,
        )
    return card


def blocks_in_force(*, patron: Patron, now: datetime.datetime | None = None) -> list[PatronBlock]:
    now = now or timezone.now()
    return [block for block in patron.blocks.all() if block.in_force(now)]


def describe_block(block: PatronBlock) -> str:
    until = (
        _("until %(date)s") % {"date": date_format(timezone.localtime(block.ends_at), _("M j, Y"))}
        if block.ends_at
        else _("until lifted")
    )
    return f"{block.get_reason_display()} ({until})"
