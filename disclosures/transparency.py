"""The public transparency report: per calendar year, how many demands for patron
records the library received, by kind, what became of them and how many patrons they
named. Only years, never a date, an agency or a case; a request under a non-disclosure
order (the patron may not be told) is left out altogether. The patrons named are the
count kept on each request: the page reads no table that names a patron. Turned off with
CALUMET_TRANSPARENCY_PAGE=false (the page then answers 404)."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from disclosures.models import DisclosureRequest

Basis = DisclosureRequest.Basis
Status = DisclosureRequest.Status

#: The report's kinds of demand, from the legal basis recorded at the desk.
KINDS = (
    ("subpoena", _("Subpoenas")),
    ("warrant", _("Warrants and court orders")),
    ("emergency", _("Emergency requests")),
    ("other", _("Other (no legal process)")),
)
KIND_OF = {
    Basis.SUBPOENA: "subpoena",
    Basis.COURT_ORDER: "warrant",
    Basis.EMERGENCY: "emergency",
    Basis.NONE: "other",
}
#: What became of a request, as the report says it.
OUTCOME_OF = {
    Status.APPROVED: "approved",
    Status.FULFILLED: "approved",
    Status.DENIED: "denied",
    Status.REFUSED_AT_DESK: "denied",
    Status.WITHDRAWN: "withdrawn",
    Status.PENDING: "open",
}
OUTCOMES = (
    ("approved", _("Approved (records released)")),
    ("denied", _("Denied or refused")),
    ("withdrawn", _("Withdrawn")),
    ("open", _("Still being decided")),
)


def requests_per_year() -> list[dict]:
    """One row per year, newest first: received (in all and per kind), outcomes and
    patrons named. Requests under a non-disclosure order are not counted."""
    rows = (
        DisclosureRequest.objects.exclude(patron_may_be_told=False)
        .order_by()
        .values_list("received_at", "legal_basis", "status", "patrons_named")
    )
    years: dict[int, dict] = defaultdict(
        lambda: {"received": 0, "kinds": defaultdict(int), "outcomes": defaultdict(int), "named": 0}
    )
    for received_at, basis, status, named in rows:
        year = years[timezone.localtime(received_at).year]
        year["received"] += 1
        year["kinds"][KIND_OF.get(basis, "other")] += 1
        year["outcomes"][OUTCOME_OF.get(status, "open")] += 1
        year["named"] += named
    return [
        {
            "year": number,
            "received": data["received"],
            "kinds": [data["kinds"][code] for code, _ in KINDS],
            "outcomes": [data["outcomes"][code] for code, _ in OUTCOMES],
            "named": data["named"],
        }
        for number, data in sorted(years.items(), reverse=True)
    ]


@require_GET
def page(request):
    if not settings.CALUMET_TRANSPARENCY_PAGE:
        raise Http404
    context = {
        "years": requests_per_year(),
        "kinds": [label for _, label in KINDS],
        "outcomes": [label for _, label in OUTCOMES],
    }
    return render(request, "transparency.html", context)
