"""Fixtures of the shelf check's tests: circulation's places, patron and loans, and a
shelf with one copy of every kind of finding."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from circulation.models import Item
from circulation.models.transit import Transit
from inventory import services
from tests.circulation import conftest as circulation
from tests.factories import ItemFactory, TitleFactory

# The circulation tests' fixtures, shared: two branches, a patron with a card, loans.
branch = circulation.branch
other_branch = circulation.other_branch
card = circulation.card
patron = circulation.patron
lend = circulation.lend
refused = circulation.refused
unchanged = circulation.unchanged


@dataclass
class Shelf:
    """Main's 600s, with a copy of every kind of finding (and the barcodes to scan)."""

    session: object
    on_shelf: Item  # expected and scanned
    missing: Item  # expected, not scanned
    missing_at_the_end: Item  # 699.5: the range's end takes what begins with it
    not_in_range: Item  # 700: neither expected nor scanned
    on_loan: Item
    loan: object
    in_transit: Item
    lost: Item
    other_branch: Item
    misshelved: Item  # Main's 800s, found in the 600s
    unknown: str = "NOT-IN-CATALOG-1"

    @property
    def scanned(self) -> list[str]:
        return [
            self.on_shelf.barcode,
            self.on_loan.barcode,
            self.in_transit.barcode,
            self.lost.barcode,
            self.other_branch.barcode,
            self.misshelved.barcode,
            self.unknown,
        ]


def copy(branch, call_number: str, title: str, **fields) -> Item:
    return ItemFactory(
        branch=branch, call_number=call_number, title=TitleFactory(title=title), **fields
    )


@pytest.fixture
def shelf(branch, other_branch, patron, lend, clerk, now) -> Shelf:
    loan = lend(patron, call_number="610 ABC", title=TitleFactory(title="Anatomy on loan"))
    in_transit = copy(branch, "612 TRA", "Travelling home", status=Item.Status.IN_TRANSIT)
    Transit.objects.create(
        item=in_transit,
        from_branch=other_branch,
        to_branch=branch,
        reason=Transit.Reason.HOME,
        sent_on=timezone.localdate(now),
    )
    session = services.inventory_start(
        branch=branch, call_number_from="600", call_number_to="699", actor=clerk
    )
    return Shelf(
        session=session,
        on_shelf=copy(branch, "641.5 SMI", "Cooking on the shelf"),
        missing=copy(branch, "650 JON", "Management gone missing"),
        missing_at_the_end=copy(branch, "699.5 ABC", "At the end of the range"),
        not_in_range=copy(branch, "700 ART", "Art elsewhere"),
        on_loan=loan.item,
        loan=loan,
        in_transit=in_transit,
        lost=copy(branch, "620 LOS", "Lost engineering", status=Item.Status.LOST),
        other_branch=copy(other_branch, "630 AGR", "East's agriculture"),
        misshelved=copy(branch, "800 LIT", "Literature misshelved"),
    )
