"""Two desks scan the same item for two different cards at the same moment: exactly one
loan results, and the other desk is told the item is already on loan."""

import threading

import pytest
from django.db import connections

from circulation import services
from circulation.exceptions import CirculationRefused
from circulation.models import Item, Loan
from tests.factories import BranchFactory, CardFactory, ItemFactory, StaffUserFactory

ROUNDS = 5


def checkout_at_the_same_moment(card_numbers: list[str], barcode: str, actor) -> list[str]:
    """Each desk in its own thread and database connection, released together."""
    barrier = threading.Barrier(len(card_numbers))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def desk(card_number: str) -> None:
        try:
            barrier.wait(timeout=10)
            try:
                services.loan_checkout(card_number=card_number, barcode=barcode, actor=actor)
            except CirculationRefused as refusal:
                outcome = refusal.code
            else:
                outcome = "loan"
            with lock:
                outcomes.append(outcome)
        except BaseException as error:  # reported by the test, not lost in the thread
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=desk, args=(number,)) for number in card_numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a desk is stuck"
    assert not errors, errors
    return outcomes


@pytest.mark.postgres("SQLite runs one write transaction at a time: two desks never race there")
@pytest.mark.django_db(transaction=True)
def test_two_desks_checking_out_one_item_make_exactly_one_loan():
    branch = BranchFactory()
    clerk = StaffUserFactory(username="race-clerk")
    for _ in range(ROUNDS):
        item = ItemFactory(branch=branch)
        cards = [CardFactory(), CardFactory()]

        outcomes = checkout_at_the_same_moment([c.number for c in cards], item.barcode, clerk)

        assert sorted(outcomes) == ["loan", "on_loan"]
        loans = Loan.objects.filter(item=item)
        assert loans.count() == 1
        assert loans.get().patron_id in {c.patron_id for c in cards}
        assert loans.get().returned_at is None
        assert Item.objects.get(pk=item.pk).status == Item.Status.ON_LOAN
