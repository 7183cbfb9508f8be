"""The patron's admin page, as a clerk reads it: the summary at the top (card, registration,
blocks, what is owed, loans, holds), compact lists of the first rows with a link to all of
them, the reading history in words, and a registration form without empty sections."""

import datetime
import re
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from circulation.models import CirculationRule
from patrons.admin.patrons import SHOWN_ROWS
from tests.factories import (
    CardFactory,
    FineFactory,
    HoldFactory,
    LoanFactory,
    PatronBlockFactory,
    PatronFactory,
)

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    html = response.content.decode()
    html = html[html.index('id="content"') : html.index("<footer")]  # the page, not the nav
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def summary(response) -> dict[str, str]:
    return {fact["label"]: fact["value"] for fact in response.context["patron_summary"]}


@pytest.fixture
def patron():
    patron = PatronFactory(first_name="Ada", last_name="Reader")
    CardFactory(patron=patron, number="21234500009876")
    return patron


def open_page(client, patron):
    return client.get(reverse("admin:patrons_patron_change", args=[patron.pk]))


def test_the_summary_says_what_the_patron_has_out_owes_and_waits_for(clerk_client, patron):
    now = timezone.now()
    LoanFactory(patron=patron)
    LoanFactory(patron=patron, checked_out_at=now - datetime.timedelta(days=40))  # overdue
    LoanFactory(patron=patron, returned_at=now)  # returned: not counted
    HoldFactory(patron=patron)
    HoldFactory(patron=patron, waiting=True)
    FineFactory(patron=patron, amount=Decimal("3.00"), amount_paid=Decimal("1.00"))
    FineFactory(patron=patron, amount=Decimal("0.75"))
    PatronBlockFactory(patron=patron, reason="unpaid")

    response = open_page(clerk_client, patron)

    assert response.status_code == 200
    facts = summary(response)
    assert facts["Card"] == "…9876, active"
    assert facts["Registration"].startswith("Expires on ")
    assert facts["Blocks"] == "Unpaid fines or fees"
    assert facts["Owes"] == "$2.75 (2 unpaid fines)"
    assert facts["Loans"] == "2 checked out, 1 overdue"
    assert facts["Holds"] == "2 active, 1 ready for pickup"
    text = page_text(response)
    assert "Overdue since" in text
    # The lists are compact tables of ours, not Django's inlines with their "View" links.
    assert response.context["inline_admin_formsets"] == []
    assert "View" not in text.split()


def test_a_patron_with_nothing_out_reads_so(clerk_client, patron):
    facts = summary(open_page(clerk_client, patron))
    assert facts["Owes"] == "$0.00"
    assert facts["Loans"] == "0 checked out"
    assert facts["Blocks"] == "None"
    text = page_text(open_page(clerk_client, patron))
    assert "Nothing checked out." in text and "No unpaid fines." in text


def test_an_expired_registration_and_a_lost_card_are_marked(clerk_client):
    patron = PatronFactory(card_expires_on=timezone.localdate() - datetime.timedelta(days=3))
    CardFactory(patron=patron, status="lost")
    response = open_page(clerk_client, patron)
    facts = {f["label"]: f for f in response.context["patron_summary"]}
    assert facts["Card"]["value"] == "No active card" and facts["Card"]["warn"]
    assert facts["Registration"]["value"].startswith("Expired on ")
    assert facts["Registration"]["warn"]


def test_long_lists_show_the_first_rows_and_link_to_all_of_them(clerk_client, patron):
    LoanFactory.create_batch(SHOWN_ROWS + 3, patron=patron)
    HoldFactory.create_batch(SHOWN_ROWS + 1, patron=patron)
    FineFactory.create_batch(SHOWN_ROWS + 2, patron=patron)
    # Someone else's, and this patron's closed records: not in the lists, nor behind the links.
    LoanFactory(patron=patron, returned_at=timezone.now())
    HoldFactory(patron=patron, status="cancelled", closed_at=timezone.now())
    FineFactory(patron=patron, amount_paid=Decimal("2.50"), settled_at=timezone.now())
    LoanFactory()
    HoldFactory()
    FineFactory()
    response = open_page(clerk_client, patron)
    lists = {s["key"]: s for s in response.context["patron_sections"]}
    assert f"All {SHOWN_ROWS + 3} loans" in page_text(response)
    for key, total in (
        ("loans", SHOWN_ROWS + 3),
        ("holds", SHOWN_ROWS + 1),
        ("fines", SHOWN_ROWS + 2),
    ):
        assert len(lists[key]["rows"]) == SHOWN_ROWS and lists[key]["total"] == total
        # The link opens the list filtered to this patron's open records of the kind.
        listed = clerk_client.get(lists[key]["more_url"])
        assert listed.status_code == 200, key
        assert listed.context["cl"].result_count == total, key
    assert lists["cards"]["more_url"] is None  # one card: nothing more to see


def test_the_page_costs_the_same_queries_with_many_loans(clerk_client, patron):
    LoanFactory(patron=patron)
    HoldFactory(patron=patron)
    FineFactory(patron=patron)
    open_page(clerk_client, patron)  # warm up (session, permissions)
    with CaptureQueriesContext(connection) as few:
        open_page(clerk_client, patron)
    # Each of these loans names a rule for a patron category: the rule's cell is on the
    # page, and must not cost a query per loan.

    rules = [
        CirculationRule.objects.create(patron_category_id=code, item_type=item_type, loan_days=days)
        for code, item_type, days in (("adult", "dvd", 7), ("child", "book", 21))
    ]
    for n in range(25):
        LoanFactory(patron=patron, rule=rules[n % 2])
    HoldFactory.create_batch(12, patron=patron)
    FineFactory.create_batch(12, patron=patron)
    with CaptureQueriesContext(connection) as many:
        open_page(clerk_client, patron)
    assert len(many) <= len(few), [q["sql"] for q in many.captured_queries]


def test_opening_the_page_logs_the_loans_holds_and_fines_it_shows(clerk, clerk_client, patron):
    LoanFactory.create_batch(2, patron=patron)
    HoldFactory(patron=patron)
    FineFactory(patron=patron)
    open_page(clerk_client, patron)
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, actor=clerk)
    kinds = entry.additional_data["kinds"]
    assert kinds["patron"] == 1 and kinds["loan"] == 2
    assert kinds["hold"] == 1 and kinds["fine"] == 1


def test_reading_history_reads_as_on_or_off_in_words(clerk_client, patron):
    text = page_text(open_page(clerk_client, patron))
    assert "Off — returned loans are deleted" in text
    on = PatronFactory(keep_reading_history=True)
    text = page_text(open_page(clerk_client, on))
    assert f"On, since {timezone.localdate():%b}" in text
    # No boolean icon that reads as on when it is off.
    assert "icon-no.svg" not in open_page(clerk_client, patron).content.decode()


def test_the_add_form_is_the_registration_form_with_the_expiry_from_policy(clerk_client, settings):
    settings.CALUMET_CARD_YEARS = 2
    response = clerk_client.get(reverse("admin:patrons_patron_add"))
    text = page_text(response)
    assert "Loans" not in text and "Holds" not in text and "Unpaid fines" not in text
    assert "card_expires_on" not in response.context["form"].fields
    expires = timezone.localdate().replace(year=timezone.localdate().year + 2)
    assert f"until {expires:%b}" in text and str(expires.year) in text


def test_each_hold_shows_the_patrons_place_in_the_queue(clerk_client, patron):
    first = HoldFactory()
    HoldFactory(patron=patron, title=first.title)
    text = page_text(open_page(clerk_client, patron))
    assert "Waiting in the queue, number 2" in text
