"""Find a patron who has no card with them, on the desk's check-out and payment pages:
search by name, phone or email; each result shows the birth year and the start of the
address to tell namesakes apart, and the search is logged as a list ("listed").
Results are shown in the answer to the POST, never in a URL."""

from __future__ import annotations

from django import forms

from core.refusals import Refused
from core.requests import posted_id
from patrons.models import Card, Patron
from patrons.selectors import namesake_hint, patron_search
from privacy.access import log_access, served_from_lookup


class FindPatronForm(forms.Form):
    query = forms.CharField(
        label="No card? Find the patron",
        max_length=100,
        min_length=2,
        help_text="Name (first and last), phone number or email address. Check a photo ID.",
    )


def find(request, page: str) -> tuple[FindPatronForm, list[dict] | None]:
    form = FindPatronForm(request.POST)
    if not form.is_valid():
        return form, None
    found = patron_search(form.cleaned_data["query"])
    # The matches are looked up, not served: a look, kept as written, until the one
    # picked is served (`picked_card`).
    log_access(found, request=request, page=f"{page}:find", access="listed", lookup=True)
    results = []
    for patron in found:
        cards = list(patron.cards.all())
        active = next((c for c in cards if c.status == Card.Status.ACTIVE), None)
        results.append(
            {
                "id": patron.pk,
                "name": patron.full_name,
                "card": active.masked_number if active else None,
                "expired": patron.status != Patron.Status.ACTIVE,
                **namesake_hint(patron),
            }
        )
    return form, results


def picked_card(request, page: str, *, any_card: bool = False) -> Card:
    """The card to serve for the patron picked from the results: the active card (or, to
    take a payment, the latest card of any status). The search's entry about this patron
    becomes part of their transaction; the others it listed stay looks."""
    patron_id = posted_id(request.POST.get("patron", ""))
    patron = Patron.objects.filter(pk=patron_id).first() if patron_id else None
    if patron is None:
        raise Refused("Search again and pick the patron from the list.")
    cards = Card.objects.select_related("patron").filter(patron=patron).order_by("-issued_at")
    card = cards.filter(status=Card.Status.ACTIVE).first() or (cards.first() if any_card else None)
    if card is None:
        raise Refused(
            "This patron has no card in use. Replace the card from the patron's page first."
        )
    served_from_lookup(patron.pk, request=request, page=f"{page}:find")
    return card
