"""Activity for the statistics tests, made through the circulation services on days
spread over March 2025, and what it should count to."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from circulation import services
from circulation.models import Item, Loan
from patrons.models import Patron
from tests.factories import BranchFactory, CardFactory, ItemFactory, PatronFactory, TitleFactory


@dataclass
class Activity:
    central: object
    east: object
    expected: dict = field(default_factory=dict)


def at(day: int, hour: int = 11) -> datetime.datetime:
    """A moment on `day` March 2025, library time."""
    zone = timezone.get_current_timezone()
    return datetime.datetime(2025, 3, day, hour, 0, tzinfo=zone)


@pytest.fixture
def activity(db, librarian):
    central = BranchFactory(code="main", name="Central Library")
    east = BranchFactory(code="east", name="East Side Branch")
    cards = [
        CardFactory(patron=PatronFactory(home_branch=central, category_id=category))
        for category in (Patron.Category.ADULT, Patron.Category.ADULT, Patron.Category.CHILD)
    ]
    popular = TitleFactory(title="The Lighthouse Keeper's Almanac")
    books = [
        ItemFactory(branch=central, title=popular if i < 2 else TitleFactory()) for i in range(6)
    ]
    dvds = [ItemFactory(branch=east, item_type=Item.ItemType.DVD) for _ in range(2)]
    n = {"checkouts": 0, "renewals": 0, "returns": 0, "visits": 0, "computer_sessions": 0}
    n.update(holds_placed=0, holds_filled=0)
    loans = []
    for i, item in enumerate(books):
        loans.append(
            services.loan_checkout(
                card_number=cards[i % 2].number,
                barcode=item.barcode,
                actor=librarian,
                branch=central,
                now=at(3 + i),
            )
        )
        n["checkouts"] += 1
    for item in dvds:
        services.loan_checkout(
            card_number=cards[2].number,
            barcode=item.barcode,
            actor=librarian,
            branch=east,
            now=at(4),
        )
        n["checkouts"] += 1
    for loan in loans[1:3]:
        services.loan_renew(loan=loan, actor=librarian, now=at(12))
        n["renewals"] += 1
    # A hold on the popular title, filled when its first copy comes back.
    services.hold_place(
        patron=cards[2].patron, title=popular, pickup_branch=central, actor=librarian, now=at(5)
    )
    n["holds_placed"] += 1
    for loan in loans[:4]:
        services.loan_return(barcode=loan.item.barcode, actor=librarian, branch=central, now=at(14))
        n["returns"] += 1
    services.loan_checkout(
        card_number=cards[2].number,
        barcode=books[0].barcode,
        actor=librarian,
        branch=central,
        now=at(15),
    )
    n["checkouts"] += 1
    n["holds_filled"] += 1
    for day in range(3, 10):
        services.visit_record(
            card_number=cards[day % 3].number, branch=central, actor=librarian, now=at(day)
        )
        n["visits"] += 1
    for day in (6, 7):
        session = services.computer_session_start(
            card_number=cards[0].number,
            branch=east,
            workstation="PC-01",
            actor=librarian,
            now=at(day, 10),
        )
        services.computer_session_end(session=session, actor=librarian, now=at(day, 11))
        n["computer_sessions"] += 1
    assert Loan.objects.count() == 9
    return Activity(central, east, n)


@pytest.fixture
def march():
    return "start=2025-03-01&end=2025-03-31&group=month"
