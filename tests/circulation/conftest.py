"""Fixtures of the circulation tests: two branches, a patron's card, staff in each role,
and the two checks every refusal needs (its message or code, and an unchanged database).

Factories live in `tests/factories.py`; this file only adds what the circulation tests
share.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from circulation.models import (
    CirculationRule,
    Item,
    Loan,
)
from core.refusals import RefusalCode, Refused
from tests.factories import (
    BranchFactory,
    CardFactory,
    ItemFactory,
    LoanFactory,
    PatronFactory,
)
from tests.helpers import our_app_labels

#: The patron's card in most tests: the desk reads it out as "card …0001".
CARD_NUMBER = "21234567890001"

#: Every table of ours (every room's models, the statistics tables, transit, notices, rules,
#: closed days and the privacy kernel's included): a refused call writes to none of them.
WATCHED_MODELS = tuple(
    model for label in our_app_labels() for model in apps.get_app_config(label).get_models()
)


def database_state() -> dict[str, list[dict]]:
    """Every row of every watched table, to compare before and after a refused call."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in WATCHED_MODELS
    }


@contextmanager
def nothing_changes():
    """The block must leave every watched table exactly as it found it."""
    before = database_state()
    yield
    after = database_state()
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"rows changed in {changed}"


@pytest.fixture
def unchanged():
    """`with unchanged(): ...` fails the test if the block wrote to a watched table."""
    return nothing_changes


@pytest.fixture
def refused():
    """`refused(call, code=..., message=...)`: the call is refused with that code (and
    message, when given) and the database is left exactly as it was. Returns the message."""

    def check(call, *, code: RefusalCode, message: str | None = None, exc=Refused) -> str:
        assert isinstance(code, RefusalCode), f"name the code by its enum member, not {code!r}"
        with nothing_changes(), pytest.raises(exc) as caught:
            call()
        assert caught.value.code == code, caught.value.message
        if message is not None:
            assert caught.value.message == message
        return caught.value.message

    return check


# -- places and people ---------------------------------------------------------------------


@pytest.fixture
def branch(db):
    return BranchFactory(code="main", name="Central Library")


@pytest.fixture
def other_branch(db):
    return BranchFactory(code="east", name="East Side Branch")


@pytest.fixture
def card(branch):
    return CardFactory(
        number=CARD_NUMBER,
        patron=PatronFactory(home_branch=branch, first_name="Philippa", last_name="Quennell"),
    )


@pytest.fixture
def patron(card):
    return card.patron


@pytest.fixture
def book_policy(db):
    """The rule for books (any category, any branch) with known numbers, whatever the data
    migration set."""
    CirculationRule.objects.update_or_create(
        patron_category=None,
        item_type=Item.ItemType.BOOK,
        branch=None,
        defaults={
            "loan_days": 21,
            "max_renewals": 2,
            "daily_fine": Decimal("0.25"),
            "max_fine": Decimal("5.00"),
            "grace_days": 1,
        },
    )
    return CirculationRule.objects.get(patron_category=None, item_type="book", branch=None)


# -- loans -----------------------------------------------------------------------------------


def end_of_day(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(hour=23, minute=59, second=0, microsecond=0)


@pytest.fixture
def lend(branch):
    """`lend(patron, due_in_days=..., **item fields)`: an open loan as the desk leaves it
    (the item on loan, due at 23:59 local time)."""

    def make(patron, *, due_in_days: int = 14, now=None, **item_fields) -> Loan:
        now = now or timezone.now()
        item_fields.setdefault("branch", branch)
        item = ItemFactory(status=Item.Status.ON_LOAN, **item_fields)
        due_at = end_of_day(now + datetime.timedelta(days=due_in_days))
        return LoanFactory(
            patron=patron,
            item=item,
            checked_out_at=min(now, due_at) - datetime.timedelta(days=21),
            due_at=due_at,
        )

    return make


def default_rule() -> CirculationRule:
    """The rule for any category, item type and branch (the data migration creates it)."""
    return CirculationRule.objects.get(patron_category=None, item_type="", branch=None)


def type_rule(item_type: str):
    """The data migration's rule for one item type, any category, any branch."""
    return CirculationRule.objects.filter(patron_category=None, item_type=item_type, branch=None)


@pytest.fixture
def desk(clerk_client, branch):
    """A clerk at the desk, working at `branch` (chosen once, on the check-out page, for every
    desk page of the session). The one desk of the tests: a test that needs another role at
    the desk signs that user in and chooses the branch the same way."""
    response = clerk_client.post(
        reverse("admin:circulation_checkout"), {"action": "branch", "branch": branch.pk}
    )
    assert response.status_code == 302
    return clerk_client
