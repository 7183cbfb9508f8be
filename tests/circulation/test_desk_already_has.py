"""Scanning at check-out an item the patron being served already has: the line says so
and points to renewing it from the list on the same page, which renews only when asked.
Another patron's copy is still "already on loan"."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from circulation.models import Loan
from tests.circulation.test_desk import CHECKOUT, day, desk_lines, get, post, shows
from tests.factories import PatronFactory
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(desk, card):
    """The desk, serving the patron of `card`."""
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    return desk


def test_an_item_the_patron_already_has_points_to_renewing_it(desk, card, lend, unchanged):
    loan = lend(card.patron, due_in_days=3)
    with unchanged():
        post(desk, CHECKOUT, {"action": "item", "barcode": loan.item.barcode})
    page = get(desk, CHECKOUT)
    due = day(timezone.localtime(loan.due_at))
    assert desk_lines(page) == [
        (
            "refused",
            loan.item.barcode,
            f"This patron already has this item, due {due}. To keep it longer, use Renew "
            "beside its due date under “All items on this card”.",
        )
    ]
    assert Loan.objects.get(pk=loan.pk).renewals == 0  # nothing renewed by the scan
    row = page.split("<caption>All items on this card", 1)[1].split("</tr>", 2)[1]
    assert f'name="loan" value="{loan.pk}"' in row and 'value="renew"' in row


def test_another_patrons_copy_is_still_already_on_loan(desk, lend):
    other = lend(PatronFactory())
    post(desk, CHECKOUT, {"action": "item", "barcode": other.item.barcode})
    assert desk_lines(get(desk, CHECKOUT)) == [
        ("refused", other.item.barcode, "This item is already on loan. Check it in first.")
    ]


def test_renew_on_the_check_out_page_renews_that_loan(desk, card, lend):
    loan = lend(card.patron, due_in_days=3)
    post(desk, CHECKOUT, {"action": "renew", "loan": loan.pk})
    loan.refresh_from_db()
    assert loan.renewals == 1
    assert shows(get(desk, CHECKOUT), f"Renewed, now due {day(timezone.localtime(loan.due_at))}.")


@pytest.mark.parametrize("which", ["other", "nonsense", "empty"])
def test_renew_refuses_a_loan_that_is_not_on_this_card(desk, lend, unchanged, which):
    other = lend(PatronFactory())
    value = {"other": str(other.pk), "nonsense": "1 OR 1=1", "empty": ""}[which]
    with unchanged():
        post(desk, CHECKOUT, {"action": "renew", "loan": value})
    assert shows(get(desk, CHECKOUT), "That loan is not on this card.")


def test_renew_needs_the_permission_to_renew(card, lend, unchanged, branch):
    user = get_user_model().objects.create_user("checkout-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_loan"))
    client = signed_in(user)
    post(client, CHECKOUT, {"action": "branch", "branch": branch.pk})
    post(client, CHECKOUT, {"action": "card", "card_number": card.number})
    loan = lend(card.patron, due_in_days=3)
    assert 'value="renew"' not in get(client, CHECKOUT)
    with unchanged():
        post(client, CHECKOUT, {"action": "renew", "loan": loan.pk})
    assert shows(get(client, CHECKOUT), "You may not renew loans.")
