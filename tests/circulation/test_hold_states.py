"""Holds and their copy stay in step, whatever order things happen in.

Two patrons, two branches and one copy (its home is the first branch). Any sequence of
placing a hold (in the portal), pulling the copy for it, checking the copy in at either
branch (which receives a transit, traps the copy for the next hold, or returns a loan),
checking it out to either patron at either branch (or, by a librarian's override, out
from under the other patron's hold waiting on the hold shelf), cancelling a hold and
letting a pickup expire is run through the real services; refusals are part of the game.
After every step each hold must be in a state its copy agrees with:

- a hold waiting on the hold shelf has the copy on the shelf at its pickup branch, the
  copy is not travelling, and no other hold is waiting for or travelling with it;
- a hold in transit has the copy travelling to its pickup branch;
- a filled hold's copy was checked out to its patron when it closed;
- no active hold sits on a copy that is on loan, and a patron who has borrowed the copy
  has no hold left open on its title (the check-out filled it);
- the copy's status says the same as its loans, transits and holds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, note
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from circulation import services
from circulation.models import Hold, Item, Loan
from circulation.models.transit import Transit
from circulation.services.overrides import Override
from core.refusals import Refused
from tests.factories import BranchFactory, CardFactory, ItemFactory, PatronFactory

pytestmark = pytest.mark.django_db

PATRONS = (0, 1)
BRANCHES = (0, 1)  # the copy's home is branch 0

OPERATIONS = st.one_of(
    st.tuples(st.just("place"), st.sampled_from(PATRONS), st.sampled_from(BRANCHES)),
    st.tuples(st.just("pull"), st.sampled_from(PATRONS)),
    st.tuples(st.just("check_in"), st.sampled_from(BRANCHES)),
    st.tuples(st.just("check_out"), st.sampled_from(PATRONS), st.sampled_from(BRANCHES)),
    st.tuples(st.just("override"), st.sampled_from(PATRONS), st.sampled_from(BRANCHES)),
    st.tuples(st.just("cancel"), st.sampled_from(PATRONS)),
    st.tuples(st.just("expire")),
)


# -- the paths that were found leaving a hold open -------------------------------------------


@pytest.fixture
def copy_at_home(branch):
    """The title's only copy, on the shelf at the Central Library."""
    return ItemFactory(branch=branch)


def test_a_hold_is_filled_when_its_patron_checks_out_the_copy_it_points_at(
    copy_at_home, card, branch, other_branch, clerk
):
    # Placed in the portal for pickup at East Side; the copy is on Central's pull list, and
    # the patron takes it from the shelf there before anyone pulls it.
    patron = card.patron
    hold = services.hold_place(
        patron=patron, title=copy_at_home.title, pickup_branch=other_branch, actor=patron
    )
    assert hold.item == copy_at_home
    loan = services.loan_checkout(
        card_number=card.number, barcode=copy_at_home.barcode, actor=clerk, branch=branch
    )
    hold.refresh_from_db()
    assert (hold.status, hold.item, hold.closed_at) == (
        Hold.Status.FULFILLED,
        copy_at_home,
        loan.checked_out_at,
    )
    assert not services.holds_to_pull(branch=branch).exists()
    # Returned, the copy goes back on the shelf: it is not trapped for her again.
    result = services.loan_return(barcode=copy_at_home.barcode, actor=clerk, branch=branch)
    assert result.hold is None
    assert Item.objects.get(pk=copy_at_home.pk).status == Item.Status.AVAILABLE


def test_a_copy_sent_for_a_hold_cancelled_on_the_way_travels_on_and_serves_the_next_hold(
    copy_at_home, card, branch, other_branch, clerk
):
    # Placed in the portal for pickup at East Side, pulled at Central and sent in transit;
    # cancelled (and placed again) while the copy is on the road.
    patron = card.patron
    title = copy_at_home.title
    first = services.hold_place(
        patron=patron, title=title, pickup_branch=other_branch, actor=patron
    )
    services.hold_pull(hold=first, barcode=copy_at_home.barcode, actor=clerk, branch=branch)
    services.hold_cancel(hold=first, actor=patron)
    copy = Item.objects.get(pk=copy_at_home.pk)
    assert copy.status == Item.Status.IN_TRANSIT  # not "on the shelf" at Central
    assert Transit.objects.get(received_on__isnull=True).to_branch == other_branch
    again = services.hold_place(
        patron=patron, title=title, pickup_branch=other_branch, actor=patron
    )
    assert again.item is None  # nothing to pull: the copy is travelling

    # Received at East Side, it goes on the hold shelf for her; she checks it out there.
    received = services.loan_return(barcode=copy.barcode, actor=clerk, branch=other_branch)
    assert received.hold == again
    again.refresh_from_db()
    assert again.status == Hold.Status.WAITING
    services.loan_checkout(
        card_number=card.number, barcode=copy.barcode, actor=clerk, branch=other_branch
    )
    again.refresh_from_db()
    assert again.status == Hold.Status.FULFILLED
    # At the return the copy is not trapped for her hold again: it goes home.
    returned = services.loan_return(barcode=copy.barcode, actor=clerk, branch=other_branch)
    assert returned.hold is None
    assert returned.transit.to_branch == branch
    assert not Hold.objects.filter(status__in=Hold.ACTIVE_STATUSES).exists()


def test_cancelling_the_hold_a_copy_was_to_be_pulled_for_puts_it_on_the_next_holds_list(
    copy_at_home, card, branch, clerk
):
    first_patron = card.patron
    second_patron = PatronFactory()
    CardFactory(patron=second_patron)
    title = copy_at_home.title
    first = services.hold_place(
        patron=first_patron, title=title, pickup_branch=branch, actor=first_patron
    )
    second = services.hold_place(
        patron=second_patron, title=title, pickup_branch=branch, actor=second_patron
    )
    assert list(services.holds_to_pull(branch=branch)) == [first]
    services.hold_cancel(hold=first, actor=first_patron)
    assert list(services.holds_to_pull(branch=branch)) == [second]


# -- every order ----------------------------------------------------------------------------


class _Rollback(Exception):
    pass


@dataclass
class Library:
    clerk: object
    librarian: object
    now: datetime.datetime = field(default_factory=timezone.now)

    def __post_init__(self):
        self.branches = [BranchFactory(code="hs-a"), BranchFactory(code="hs-b")]
        self.patrons = []
        self.cards = []
        for n in PATRONS:
            card = CardFactory(
                number=f"2123456780{n:04d}", patron=PatronFactory(home_branch=self.branches[n])
            )
            self.cards.append(card)
            self.patrons.append(card.patron)
        self.item = ItemFactory(branch=self.branches[0])
        # Where staff last had the copy in hand: a branch, or None while a patron has it.
        self.location = self.branches[0]

    # -- the operations, each through the service a page or the portal calls ------------

    def run(self, operation: tuple) -> str:
        name, *args = operation
        try:
            getattr(self, name)(*args)
        except Refused as refusal:
            return f"refused ({refusal.code})"
        return "done"

    def place(self, p: int, b: int) -> None:
        patron = self.patrons[p]
        services.hold_place(
            patron=patron,
            title=self.item.title,
            pickup_branch=self.branches[b],
            actor=patron,
            now=self.now,
        )

    def _active_hold(self, p: int) -> Hold | None:
        return Hold.objects.filter(patron=self.patrons[p], status__in=Hold.ACTIVE_STATUSES).first()

    def pull(self, p: int) -> None:
        # The copy is on the pull list of the branch whose shelf it is on: its home.
        hold = self._active_hold(p)
        if hold is None:
            return
        here = self.branches[0]
        services.hold_pull(
            hold=hold, barcode=self.item.barcode, actor=self.clerk, branch=here, now=self.now
        )
        self.location = here

    def check_in(self, b: int) -> None:
        services.loan_return(
            barcode=self.item.barcode, actor=self.clerk, branch=self.branches[b], now=self.now
        )
        self.location = self.branches[b]

    def check_out(self, p: int, b: int) -> None:
        services.loan_checkout(
            card_number=self.cards[p].number,
            barcode=self.item.barcode,
            actor=self.clerk,
            branch=self.branches[b],
            now=self.now,
        )
        self.location = None

    def override(self, p: int, b: int) -> None:
        services.loan_checkout(
            card_number=self.cards[p].number,
            barcode=self.item.barcode,
            actor=self.librarian,
            branch=self.branches[b],
            override=Override(kind="hold_shelf", reason="library_error"),
            now=self.now,
        )
        self.location = None

    def cancel(self, p: int) -> None:
        hold = self._active_hold(p)
        if hold is not None:
            services.hold_cancel(hold=hold, actor=self.patrons[p], now=self.now)

    def expire(self) -> None:
        self.now += datetime.timedelta(days=10)  # past every pickup deadline
        services.hold_expire_unclaimed(actor=None, now=self.now)

    # -- what must hold after every step --------------------------------------------------

    def check(self) -> None:
        item = Item.objects.get(pk=self.item.pk)
        holds = list(Hold.objects.order_by("pk"))
        open_loan = Loan.objects.filter(item=item, returned_at__isnull=True).first()
        open_transit = Transit.objects.filter(item=item, received_on__isnull=True).first()
        waiting = [h for h in holds if h.status == Hold.Status.WAITING]
        travelling = [h for h in holds if h.status == Hold.Status.IN_TRANSIT]
        note(
            f"copy {item.status}, at {self.location}, loan {open_loan and open_loan.patron_id}, "
            f"transit {open_transit and (open_transit.from_branch_id, open_transit.to_branch_id)}"
            f", holds {[(h.patron_id, h.status, h.item_id) for h in holds]}"
        )

        assert len(waiting) + len(travelling) <= 1, "the copy is trapped for two holds"
        for hold in waiting:
            assert hold.item_id == item.pk
            assert item.status == Item.Status.ON_HOLD_SHELF, "waiting, but not on the hold shelf"
            assert open_transit is None, "waiting on the hold shelf, but still in transit"
            assert self.location == hold.pickup_branch, "waiting at a branch it is not at"
        for hold in travelling:
            assert hold.item_id == item.pk
            assert item.status == Item.Status.IN_TRANSIT
            assert open_transit is not None and open_transit.to_branch_id == hold.pickup_branch_id
        for hold in holds:
            if hold.status == Hold.Status.FULFILLED:
                assert Loan.objects.filter(
                    patron=hold.patron, item=item, checked_out_at=hold.closed_at
                ).exists(), "filled, but the copy was not checked out to its patron then"
            if hold.status in Hold.ACTIVE_STATUSES and open_loan is not None:
                assert open_loan.patron_id != hold.patron_id, (
                    "the patron has the copy, and a hold on it is still open"
                )

        placed = [h for h in holds if h.status == Hold.Status.PLACED]
        for hold in placed:
            if hold.item_id is not None:
                assert item.status == Item.Status.AVAILABLE, "points at a copy not on the shelf"
        if item.status == Item.Status.AVAILABLE and placed:
            assert any(h.item_id == item.pk for h in placed), (
                "the copy is on the shelf, a hold waits in the queue, and no pull list shows it"
            )
        if item.status == Item.Status.ON_LOAN:
            assert open_loan is not None and not waiting and not travelling
        else:
            assert open_loan is None
        if item.status == Item.Status.ON_HOLD_SHELF:
            assert len(waiting) == 1
        if item.status == Item.Status.IN_TRANSIT:
            assert open_transit is not None
        else:
            assert open_transit is None, f"a transit is open for a copy that is {item.status}"
        if item.status == Item.Status.AVAILABLE:
            assert self.location == self.branches[0], "on the shelf away from home"


@hyp_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, max_size=12))
# A librarian lends the copy waiting for patron 0 to patron 1; patron 0 is first in line again.
@example(operations=[("place", 0, 0), ("pull", 0), ("override", 1, 1), ("check_in", 0)])
def test_every_hold_matches_its_copy_whatever_the_order(clerk, librarian, operations):
    try:
        with transaction.atomic():
            library = Library(clerk=clerk, librarian=librarian)
            for operation in operations:
                outcome = library.run(operation)
                note(f"{operation}: {outcome}")
                library.check()
            raise _Rollback
    except _Rollback:
        pass
