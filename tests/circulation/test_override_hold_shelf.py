"""Checking out a copy waiting on the hold shelf for another patron: refused, unless staff
whose role may (librarians and up) override it with a reason. The waiting hold goes back to
the front of its queue (or to another copy on a shelf), the loan keeps the override, the
audit log records it and the patron's page shows it."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal
from circulation.models import Hold, Item, Loan
from circulation.services.overrides import Override
from tests.circulation.test_desk import CHECKOUT, get, post, shows
from tests.factories import HoldFactory, ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(branch):
    """A copy on the Central Library's hold shelf for another patron."""
    return HoldFactory(waiting=True, pickup_branch=branch, notified_at=timezone.now())


def hold_shelf(reason="library_error", note=""):
    return Override(kind="hold_shelf", reason=reason, note=note)


def test_a_librarian_checks_out_a_copy_held_for_another_and_the_hold_goes_back_to_the_queue(
    librarian, card, branch, waiting
):
    later = HoldFactory(title=waiting.title, pickup_branch=branch)  # placed after it
    loan = services.loan_checkout(
        card=card,
        barcode=waiting.item.barcode,
        actor=librarian,
        branch=branch,
        override=hold_shelf(),
    )
    assert loan.override_kind == "hold_shelf" and loan.override_by == librarian
    assert Item.objects.get(pk=waiting.item_id).status == Item.Status.ON_LOAN
    hold = Hold.objects.get(pk=waiting.pk)
    # In the queue again, no copy, no deadline, not yet told of a copy that is gone.
    assert (hold.status, hold.item_id, hold.pickup_by, hold.notified_at) == (
        "placed",
        None,
        None,
        None,
    )
    # First in line: the copy, returned, is trapped for it and not for the later hold.
    result = services.loan_return(barcode=waiting.item.barcode, actor=librarian, branch=branch)
    assert result.hold.pk == waiting.pk
    assert Hold.objects.get(pk=later.pk).status == "placed"
    changes = [entry.changes_dict for entry in LogEntry.objects.get_for_object(loan)]
    assert any(c.get("override_kind", [None, None])[1] == "hold_shelf" for c in changes)


def test_the_hold_looks_for_another_copy_on_a_shelf(librarian, card, branch, waiting):
    spare = ItemFactory(title=waiting.title, branch=branch)
    services.loan_checkout(
        card=card,
        barcode=waiting.item.barcode,
        actor=librarian,
        branch=branch,
        override=hold_shelf(),
    )
    hold = Hold.objects.get(pk=waiting.pk)
    assert hold.status == "placed" and hold.item_id == spare.pk  # on the pull list
    assert list(services.holds_to_pull(branch=branch)) == [hold]


def test_a_clerk_may_not_and_is_told_who_may(clerk, card, branch, waiting, refused):
    refused(
        lambda: services.loan_checkout(
            card=card, barcode=waiting.item.barcode, actor=clerk, override=hold_shelf()
        ),
        code=CirculationRefusal.OVERRIDE_PERMISSION,
        message="Only Librarian staff and up may override the hold for another patron. "
        "Nothing was changed.",
    )


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [
        ("", "", "Choose a reason to override the hold for another patron. Nothing was changed."),
        ("other", " ", "Say why in the note when the reason is Other. Nothing was changed."),
    ],
)
def test_no_reason_no_override(librarian, card, waiting, refused, reason, note, message):
    refused(
        lambda: services.loan_checkout(
            card=card,
            barcode=waiting.item.barcode,
            actor=librarian,
            override=hold_shelf(reason, note),
        ),
        code=CirculationRefusal.OVERRIDE_REASON,
        message=message,
    )


def test_without_an_override_it_is_still_refused(librarian, card, waiting, refused):
    refused(
        lambda: services.loan_checkout(card=card, barcode=waiting.item.barcode, actor=librarian),
        code=CirculationRefusal.HELD_FOR_OTHER,
    )


def test_the_desk_offers_the_override_and_the_patrons_page_shows_it(
    librarian_client, card, branch, waiting
):
    desk = librarian_client
    post(desk, CHECKOUT, {"action": "branch", "branch": branch.pk})
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    barcode = waiting.item.barcode
    post(desk, CHECKOUT, {"action": "item", "barcode": barcode})
    page = get(desk, CHECKOUT)
    assert shows(page, "This item is on the hold shelf for another patron.")
    assert 'value="hold_shelf"' in page and 'name="reason"' in page
    data = {"action": "override", "override": "hold_shelf", "barcode": barcode}
    post(desk, CHECKOUT, {**data, "reason": "other", "note": "only copy, class today"})
    loan = Loan.objects.get(item__barcode=barcode, returned_at__isnull=True)
    assert loan.patron_id == card.patron_id
    page = get(desk, CHECKOUT)
    assert shows(
        page,
        "hold for another patron overridden: Other (see the note) "
        "(the hold is back in its queue, first in line)",
    )
    assert 'name="reason"' not in page  # the refused line above offers it no more
    patron_page = get(desk, reverse("admin:patrons_patron_change", args=[card.patron_id]))
    assert shows(
        patron_page,
        "Hold for another patron overridden by librarian: Other (see the note) "
        "(only copy, class today)",
    )


def test_at_the_desk_a_clerk_sees_which_role_may(clerk_client, card, branch, waiting):
    desk = clerk_client
    post(desk, CHECKOUT, {"action": "branch", "branch": branch.pk})
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    post(desk, CHECKOUT, {"action": "item", "barcode": waiting.item.barcode})
    page = get(desk, CHECKOUT)
    assert shows(page, "Librarian staff and up may override this, with a reason.")
    assert 'name="reason"' not in page
    assert Hold.objects.get(pk=waiting.pk).status == "waiting"


def test_the_override_form_without_a_reason_changes_nothing(librarian_client, card, waiting):
    desk = librarian_client
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    data = {"action": "override", "override": "hold_shelf", "barcode": waiting.item.barcode}
    post(desk, CHECKOUT, data)
    assert shows(get(desk, CHECKOUT), "Choose a reason to override the hold for another patron.")
    assert Hold.objects.get(pk=waiting.pk).status == "waiting"
    assert not Loan.objects.filter(item=waiting.item).exists()
