"""Read-only queries of the patrons app."""

from dataclasses import dataclass

from django.utils.translation import gettext, ngettext

from patrons.models import RetentionPolicy
from patrons.policy import rules


@dataclass(frozen=True)
class ScheduleRow:
    kind: str
    label: str
    days: int
    active_while: str
    counted_from: str
    expunge_means: str

    @property
    def kept_for(self) -> str:
        return describe_days(self.days)


def describe_days(days: int) -> str:
    """Plain words for a retention period: 0 -> "until the next nightly run"."""
    if days == 0:
        return gettext("until the next nightly run")
    if days % 365 == 0:
        years = days // 365
        return ngettext(
            "%(years)d year (%(days)d days)", "%(years)d years (%(days)d days)", years
        ) % {"years": years, "days": days}
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


def retention_schedule() -> list[ScheduleRow]:
    """The schedule in force: the days come from `RetentionPolicy` (what the expunge
    applies), the wording from `patrons.policy`, in the language of the request."""
    days = dict(RetentionPolicy.objects.values_list("kind", "days"))
    return [
        ScheduleRow(
            kind=rule.kind,
            label=gettext(rule.label),
            days=days.get(rule.kind, rule.default_days),
            active_while=gettext(rule.active_while),
            counted_from=gettext(rule.counted_from),
            expunge_means=gettext(rule.expunge_means),
        )
        for rule in rules()
    ]


def retention_for(kind: str) -> ScheduleRow:
    """One row of the schedule in force (the privacy page's row for `kind`), for a page
    that tells the patron how long one kind of record is kept."""
    for row in retention_schedule():
        if row.kind == kind:
            return row
    raise LookupError(f"No retention rule for {kind!r}.")


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
