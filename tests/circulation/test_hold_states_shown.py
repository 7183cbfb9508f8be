"""A suspended hold reads as suspended wherever a hold's state is listed: the check-out
desk's panel, the patron's admin page, the holds list, and the patron's own account. A
suspension whose date has passed reads as an ordinary place in the queue."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from circulation import services
from tests.circulation.test_desk import get, post, visible_text
from tests.factories import HoldFactory, ItemFactory, TitleFactory
from tests.helpers import portal_signed_in as portal_client

pytestmark = pytest.mark.django_db
CHECKOUT = reverse("admin:circulation_checkout")


@pytest.fixture
def holds(card, branch, clerk):
    today = timezone.localdate()
    title = TitleFactory(title="Middlemarch")
    ItemFactory(title=title, branch=branch, status="on_loan")
    suspended = services.hold_place(
        patron=card.patron, title=title, pickup_branch=branch, actor=clerk
    )
    services.hold_suspend(hold=suspended, until=today + datetime.timedelta(days=14), actor=clerk)
    resumed = HoldFactory(
        patron=card.patron,
        title=TitleFactory(title="Persuasion"),
        pickup_branch=branch,
        suspended_until=today - datetime.timedelta(days=1),  # over: back in the queue
    )
    return suspended, resumed, today + datetime.timedelta(days=14)


def row_of(html: str, title: str) -> str:
    """The visible text of the table row that names `title`."""
    row = next(r for r in html.split("<tr") if title in r)
    return visible_text("<body>" + row.split("</tr>", 1)[0])


def test_the_check_out_panel_says_a_hold_is_suspended_and_until_when(clerk_client, card, holds):
    _, _, until = holds
    post(clerk_client, CHECKOUT, {"action": "card", "card_number": card.number})
    page = get(clerk_client, CHECKOUT)
    suspended = row_of(page, "Middlemarch")
    assert f"Suspended until {until:%a %b} {until.day}" in suspended
    assert "keeps its place (number 1 in the queue)" in suspended
    assert "Waiting in the queue" not in suspended
    resumed = row_of(page, "Persuasion")
    assert "Waiting in the queue, number 1" in resumed and "Suspended" not in resumed


def test_the_patrons_page_and_the_holds_list_say_so_too(librarian_client, card, holds):
    _, _, until = holds
    page = librarian_client.get(reverse("admin:patrons_patron_change", args=[card.patron_id]))
    html = page.content.decode()
    expected = f"Suspended until {date_format(until, 'DATE_FORMAT')}, keeps its place"
    assert expected in row_of(html, "Middlemarch")
    assert "Waiting in the queue, number 1" in row_of(html, "Persuasion")
    changelist = librarian_client.get(reverse("admin:circulation_hold_changelist"))
    rows = visible_text(changelist.content.decode())
    assert rows.count("Suspended until") == 1 and "Waiting in the queue" in rows


def test_the_patrons_account_shows_a_suspension_only_while_it_lasts(card, holds):
    _, _, until = holds
    page = visible_text(portal_client(card).get("/portal/").content.decode())
    assert page.count("Suspended until") == 1
    assert f"Suspended until {until:%b} {until.day}" in page
