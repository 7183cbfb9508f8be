"""The public transparency report: per calendar year, how many demands for patron
records the library received, by kind, what became of them by the year's end and how many
patrons they named. Only years, never a date, an agency or a case; the page reads no table
that names a patron. Turned off with CALUMET_TRANSPARENCY_PAGE=false (the page then
answers 404).

What a watcher can learn from it. A page that counted the register as it stands told
anyone who compared it on two days what happened in between: a pending request that
vanished from every count when it was approved under a non-disclosure order said that a
gagged demand had arrived. So:

- a year is published only once it is over, and its figures never change after that. They
  are `DisclosureYear` counts the services add to when a request is recorded or decided,
  in the same transaction; a request counts in the year it was received, its outcome
  only if it was decided that same year ("still being decided" is as of December 31). No
  count is ever decreased, and the expunge of the register leaves them alone;
- whether a non-disclosure order came with a request is asked when it is recorded and
  never changes, so a decision cannot move a request out of the figures. Requests under
  an order are left out of the figures and counted only in a band of 250 (0-249, 250-499,
  ...), as national-security request reports do; the years shown never depend on them.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from disclosures.models import DisclosureRequest, DisclosureYear

Basis = DisclosureRequest.Basis
Status = DisclosureRequest.Status

#: A request under a non-disclosure order is published only as the band its year's count
#: falls in, this wide.
BAND = 250

#: The report's kinds of demand (DisclosureYear's fields), from the legal basis recorded.
KINDS = (
    ("subpoenas", _("Subpoenas")),
    ("warrants", _("Warrants and court orders")),
    ("emergencies", _("Emergency requests")),
    ("other", _("Other (no legal process)")),
)
KIND_OF = {
    Basis.SUBPOENA: "subpoenas",
    Basis.COURT_ORDER: "warrants",
    Basis.EMERGENCY: "emergencies",
    Basis.NONE: "other",
}
#: What became of a request, as the report says it (DisclosureYear's fields).
OUTCOME_OF = {
    Status.APPROVED: "approved",
    Status.FULFILLED: "approved",
    Status.DENIED: "denied",
    Status.REFUSED_AT_DESK: "denied",
    Status.WITHDRAWN: "withdrawn",
}
OUTCOMES = (
    ("approved", _("Approved (records released)")),
    ("denied", _("Denied or refused")),
    ("withdrawn", _("Withdrawn")),
    ("undecided", _("Still being decided on December 31")),
)


def _year(moment: datetime.datetime) -> int:
    return timezone.localtime(moment).year


def _add(year: int, **counts: int) -> None:
    """Add to a year's figures (never subtract). Runs inside the service's transaction."""
    counts = {name: n for name, n in counts.items() if n}
    if any(n < 0 for n in counts.values()):
        raise ValueError("The transparency figures are only ever added to.")
    if not counts:
        return
    DisclosureYear.objects.get_or_create(year=year)
    DisclosureYear.objects.filter(year=year).update(
        **{name: F(name) + n for name, n in counts.items()}
    )


def count_received(request: DisclosureRequest) -> None:
    """A request was recorded: its year counts it (by kind, and its patrons named), or,
    under a non-disclosure order, counts it only towards the band. A request refused at
    the desk is decided as it is recorded."""
    year = _year(request.received_at)
    if request.non_disclosure_order == DisclosureRequest.NonDisclosure.YES:
        _add(year, under_order=1)
        return
    outcome = OUTCOME_OF.get(request.status)
    _add(
        year,
        **{KIND_OF.get(request.legal_basis, "other"): 1},
        patrons_named=request.patrons_named,
        **({outcome: 1} if outcome else {}),
    )


def count_outcome(request: DisclosureRequest, *, was: str, now: datetime.datetime) -> None:
    """A pending request was decided or withdrawn (`was` its status before). Its year
    counts the outcome only while that year lasts: a year that is over is fixed."""
    if was != Status.PENDING or request.non_disclosure_order == DisclosureRequest.NonDisclosure.YES:
        return
    year = _year(request.received_at)
    outcome = OUTCOME_OF.get(request.status)
    if outcome and _year(now) == year:
        _add(year, **{outcome: 1})


def band(count: int) -> tuple[int, int]:
    low = count // BAND * BAND
    return low, low + BAND - 1


def published_years(*, today: datetime.date | None = None) -> list[dict]:
    """The years that are over, newest first, from the first year a demand the page may
    count was received: each with its figures (a year with none reads zero). A year's
    requests under a non-disclosure order show only as a band, and never decide which
    years are shown."""
    today = today or timezone.localdate()
    rows = {row.year: row for row in DisclosureYear.objects.filter(year__lt=today.year)}
    counted = [year for year, row in rows.items() if row.received or row.patrons_named]
    if not counted:
        return []
    years = []
    for number in range(today.year - 1, min(counted) - 1, -1):
        row = rows.get(number) or DisclosureYear(year=number)
        years.append(
            {
                "year": number,
                "received": row.received,
                "kinds": [getattr(row, code) for code, _label in KINDS],
                "outcomes": [getattr(row, code) for code, _label in OUTCOMES],
                "named": row.patrons_named,
                "under_order": band(row.under_order),
            }
        )
    return years


@require_GET
def page(request):
    if not settings.CALUMET_TRANSPARENCY_PAGE:
        raise Http404
    today = timezone.localdate()
    context = {
        "years": published_years(today=today),
        "kinds": [label for _code, label in KINDS],
        "outcomes": [label for _code, label in OUTCOMES],
        "this_year": today.year,
        "band": BAND,
    }
    return render(request, "transparency.html", context)
