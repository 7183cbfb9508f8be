"""Staff overrides at the desk, by role and with a reason: the renewal
limit and the fine limit. Recorded on the loan and in the audit log (the note masked),
shown on the patron's page; a clerk is told which role may; no reason, no override."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from circulation.models import Loan
from tests.circulation.test_desk import CHECKOUT, RENEW, get, post, shows
from tests.factories import FineFactory, HoldFactory, ItemFactory, LoanFactory
from tests.helpers import set_library_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_limit(card, branch, book_policy):
    """A loan renewed twice (the limit), checked out three weeks ago."""
    item = ItemFactory(branch=branch, status="on_loan")
    return LoanFactory(
        item=item,
        patron=card.patron,
        branch=branch,
        renewals=2,
        checked_out_at=timezone.now() - datetime.timedelta(days=20),
        due_at=timezone.now() + datetime.timedelta(days=1),
    )


def desk_of(client, branch):
    post(client, CHECKOUT, {"action": "branch", "branch": branch.pk})
    return client


def override(barcode, **data):
    return {"action": "override", "override": "renewal_limit", "barcode": barcode, **data}


def test_a_librarian_renews_past_the_limit_with_a_reason(librarian_client, branch, at_limit):
    desk = desk_of(librarian_client, branch)
    barcode = at_limit.item.barcode
    post(desk, RENEW, {"action": "item", "barcode": barcode})
    page = get(desk, RENEW)
    assert shows(page, "Renewal limit reached (2).")
    assert 'name="reason"' in page  # the override form on the refused line
    post(desk, RENEW, override(barcode, reason="returning_soon"))
    loan = Loan.objects.get(pk=at_limit.pk)
    assert loan.renewals == 3 and loan.override_kind == "renewal_limit"
    assert loan.override_reason == "returning_soon" and loan.override_by.username == "librarian"
    assert shows(get(desk, RENEW), "renewal limit overridden: Patron returning it soon")
    entry = LogEntry.objects.get_for_object(loan).order_by("-pk").first()
    assert "override_reason" in entry.changes_dict
    # The patron's page shows it.
    patron_page = get(desk, reverse("admin:patrons_patron_change", args=[loan.patron_id]))
    assert shows(patron_page, "Renewal limit overridden by librarian: Patron returning it soon")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose a reason to override the renewal limit. Nothing was changed."),
        ({"reason": "made-up"}, "Choose a reason to override the renewal limit."),
        ({"reason": "other"}, "Say why in the note when the reason is Other."),
    ],
)
def test_an_override_without_a_reason_is_refused(librarian_client, branch, at_limit, data, message):
    desk = desk_of(librarian_client, branch)
    post(desk, RENEW, override(at_limit.item.barcode, **data))
    assert shows(get(desk, RENEW), message)
    loan = Loan.objects.get(pk=at_limit.pk)
    assert loan.renewals == 2 and loan.override_kind == ""


def test_a_clerk_is_told_which_role_may_override(clerk_client, branch, at_limit):
    desk = desk_of(clerk_client, branch)
    barcode = at_limit.item.barcode
    post(desk, RENEW, {"action": "item", "barcode": barcode})
    page = get(desk, RENEW)
    assert shows(page, "Librarian staff and up may override this, with a reason.")
    assert 'name="reason"' not in page
    post(desk, RENEW, override(barcode, reason="returning_soon"))
    assert shows(get(desk, RENEW), "Only Librarian staff and up may override the renewal limit.")
    assert Loan.objects.get(pk=at_limit.pk).renewals == 2


def test_another_reason_to_refuse_is_not_overridden(librarian_client, branch, at_limit, card):
    HoldFactory(title=at_limit.item.title)  # another patron waits for it
    desk = desk_of(librarian_client, branch)
    post(desk, RENEW, {"action": "item", "barcode": at_limit.item.barcode})
    assert 'name="reason"' not in get(desk, RENEW)  # only the limit may be overridden
    post(desk, RENEW, override(at_limit.item.barcode, reason="returning_soon"))
    assert Loan.objects.get(pk=at_limit.pk).renewals == 2


def test_a_librarian_checks_out_above_the_fine_limit_with_a_reason(librarian_client, branch, card):
    set_library_policy(max_balance=Decimal("5.00"))
    FineFactory(patron=card.patron, amount=Decimal("12.00"))
    item = ItemFactory(branch=branch)
    desk = desk_of(librarian_client, branch)
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode})
    page = get(desk, CHECKOUT)
    assert shows(page, "Unpaid balance of $12.00 is above the limit") and 'name="reason"' in page
    data = {"action": "override", "override": "fine_limit", "barcode": item.barcode}
    post(desk, CHECKOUT, {**data, "reason": "other", "note": "class visit today"})
    loan = Loan.objects.get(item=item, returned_at__isnull=True)
    assert loan.override_kind == "fine_limit" and loan.override_note == "class visit today"
    assert shows(get(desk, CHECKOUT), "fine limit overridden: Other (see the note)")
    # The audit log records that a note was set, never what it says.
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan), object_pk=str(loan.pk)
    ).order_by("-pk")[0]
    assert "class visit today" not in str(entry.changes)
