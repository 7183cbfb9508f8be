"""Read-only queries of the patrons app."""


def patron_search(query: str, *, limit: int = 20):
    """Patrons found by name (every word starts a first or last name), email (exact) or
    phone (the same digits), for a patron at the desk without their card. At most
    `limit`, with their cards loaded."""
    from django.db.models import Q

    from patrons.models import Patron

    query = " ".join((query or "").split())[:100]
    if len(query) < 2:
        return []
    patrons = Patron.objects.prefetch_related("cards")
    digits = "".join(ch for ch in query if ch.isdigit())
    if "@" in query:
        found = patrons.filter(email__iexact=query)
    elif len(digits) >= 7 and len(digits) >= len(query.replace(" ", "")) - 4:
        found = [
            p
            for p in patrons.filter(phone__contains=digits[-4:])[: limit * 5]
            if "".join(ch for ch in p.phone if ch.isdigit()).endswith(digits)
        ]
        return found[:limit]
    else:
        condition = Q()
        for word in query.split()[:4]:
            condition &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
        found = patrons.filter(condition)
    return list(found.order_by("last_name", "first_name", "pk")[:limit])


def namesake_hint(patron) -> dict:
    """Enough to tell two patrons of the same name apart, and no more: the birth year and
    the start of the address."""
    address = patron.address_line1 or ""
    return {
        "born": patron.birth_date.year if patron.birth_date else None,
        "address": (address[:8] + "…") if len(address) > 8 else address,
        "city": patron.city,
    }
