"""The circulation desk through the admin, as a clerk with a barcode scanner would use it."""

import datetime
import json
import re
from decimal import Decimal
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from circulation.desk.scanning import SESSION_KEY
from circulation.models import CirculationRule, Fine, Hold, Item, Loan, ProgramRegistration
from tests.circulation.conftest import CARD_NUMBER, database_state, end_of_day
from tests.factories import (
    CardFactory,
    FineFactory,
    HoldFactory,
    ItemFactory,
    PatronBlockFactory,
    PatronFactory,
    ProgramFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)

CHECKOUT = reverse("admin:circulation_checkout")
CHECKIN = reverse("admin:circulation_checkin")
RENEW = reverse("admin:circulation_renew")
HOLD_SHELF = reverse("admin:circulation_hold_shelf")
PAYMENT = reverse("admin:circulation_payment")
SERVE_PATRON = reverse("admin:circulation_serve_patron")
DESK_PAGES = {
    "Check out": CHECKOUT,
    "Check in": CHECKIN,
    "Renew": RENEW,
    "Hold shelf": HOLD_SHELF,
    "Take payment": PAYMENT,
}

LINE = re.compile(
    r'<tr class="(?P<result>ok|refused)">\s*<td><code>(?P<barcode>[^<]*)</code></td>\s*'
    r"<td>(?P<title>.*?)</td>\s*<td>(?P<text>.*?)</td>\s*</tr>",
    re.DOTALL,
)


def desk_lines(html: str) -> list[tuple[str, str, str]]:
    """(ok|refused, barcode, outcome text) for each scanned line, newest first."""
    lines = []
    for match in LINE.finditer(html):
        text = re.sub(r'<a [^>]*class="slip-link".*?</a>', "", match["text"])  # slip_links()
        text = re.sub(r"<[^>]+>", "", text)
        text = text.replace("OK", "", 1) if match["result"] == "ok" else text
        text = text.replace("Refused", "", 1) if match["result"] == "refused" else text
        lines.append((match["result"], match["barcode"], " ".join(text.split())))
    return lines


def slip_links(html: str) -> list[tuple[str, str]]:
    """(link text, address) of the slip link of each scanned line that has one."""
    return [
        (" ".join(re.sub(r"<[^>]+>", " ", text).split()), unescape(href))
        for href, text in re.findall(r'<a href="([^"]+)" class="slip-link">(.*?)</a>', html)
    ]


def day(moment) -> str:
    """A day as the desk's lines say it: "Mon Dec 7", never "Mon Dec 07"."""
    return f"{moment:%a %b} {moment.day}"


def visible_text(html: str) -> str:
    """The page as a reader sees it: no tags, entities decoded, whitespace collapsed."""
    body = html.split("<body", 1)[-1]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def shows(html: str, text: str) -> bool:
    return " ".join(text.split()) in visible_text(html)


def post(client, url, data):
    """A desk form post: always a redirect back to a desk page, never a card in the URL."""
    response = client.post(url, data)
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert not any(ch.isdigit() for ch in location), location
    return location


def get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# -- a whole transaction at the desk ----------------------------------------------------------


def test_a_patron_served_at_the_desk_from_check_out_to_payment(desk, card, branch, lend, now):
    first = ItemFactory(branch=branch, title=TitleFactory(title="Moby-Dick"))
    second = ItemFactory(branch=branch, title=TitleFactory(title="Middlemarch"))
    lent_elsewhere = lend(PatronFactory(), title=TitleFactory(title="Bleak House"))

    # Check out three items to one card: one is still on someone else's loan.
    assert post(desk, CHECKOUT, {"action": "card", "card_number": card.number}) == CHECKOUT
    for item in (first, lent_elsewhere.item, second):
        assert post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode}) == CHECKOUT
    page = get(desk, CHECKOUT)
    due = f"due {day(timezone.localtime(end_of_day(now + datetime.timedelta(days=21))))}"
    # Which circulation rule applied: the data migration's rule for books.
    due += f" (rule #{CirculationRule.objects.get(item_type='book', patron_category=None).pk})"
    assert desk_lines(page) == [
        ("ok", second.barcode, due),
        (
            "refused",
            lent_elsewhere.item.barcode,
            "This item is already on loan. Check it in first.",
        ),
        ("ok", first.barcode, due),
    ]
    assert "Moby-Dick" in page and "Middlemarch" in page  # shown, but not kept (see below)
    assert set(Loan.objects.filter(patron=card.patron, returned_at__isnull=True)) == set(
        Loan.objects.filter(item__in=[first, second])
    )
    assert Loan.objects.get(pk=lent_elsewhere.pk).returned_at is None
    assert post(desk, CHECKOUT, {"action": "done"}) == CHECKOUT

    # Check in the item a patron is waiting for: it goes on the hold shelf (for whom, the
    # check-in list does not say).
    waiting_for_it = HoldFactory(
        title=lent_elsewhere.item.title, pickup_branch=branch, patron=card.patron
    )
    assert post(desk, CHECKIN, {"action": "item", "barcode": lent_elsewhere.item.barcode}) == (
        CHECKIN
    )
    page = get(desk, CHECKIN)
    assert desk_lines(page) == [
        (
            "ok",
            lent_elsewhere.item.barcode,
            "returned, on hold for a patron — put it on the hold shelf",
        )
    ]
    waiting_for_it.refresh_from_db()
    assert waiting_for_it.status == Hold.Status.WAITING
    assert Item.objects.get(pk=lent_elsewhere.item_id).status == Item.Status.ON_HOLD_SHELF

    # Renew a loan.
    loan = Loan.objects.get(item=first, returned_at__isnull=True)
    # Two days before it falls due (a renewal on the day of check-out would move nothing).
    Loan.objects.filter(pk=loan.pk).update(due_at=end_of_day(timezone.now() + 2 * DAY))
    assert post(desk, RENEW, {"action": "item", "barcode": first.barcode}) == RENEW
    page = get(desk, RENEW)
    loan.refresh_from_db()
    assert loan.renewals == 1
    assert desk_lines(page) == [
        ("ok", first.barcode, f"renewed, now due {day(timezone.localtime(loan.due_at))}")
    ]

    # Take a partial payment.
    fine = FineFactory(patron=card.patron, amount=Decimal("4.00"))
    assert post(desk, PAYMENT, {"action": "card", "card_number": card.number}) == PAYMENT
    assert shows(get(desk, PAYMENT), "Owes $4.00")
    assert (
        post(desk, PAYMENT, {"action": "pay", "fine": fine.pk, "amount": "1.50", "method": "cash"})
        == PAYMENT
    )
    page = get(desk, PAYMENT)
    number = f"{branch.code.upper()}-{timezone.localdate():%Y%m%d}-0001"
    assert shows(page, f"Payment of $1.50 taken (cash), receipt {number}.")
    assert shows(page, "$2.50 still owed.")
    assert shows(page, "Owes $2.50")
    fine.refresh_from_db()
    assert fine.amount_paid == Decimal("1.50") and fine.settled_at is None


def test_a_refused_renewal_is_a_refused_line(desk, card, lend):
    loan = lend(card.patron)
    HoldFactory(title=loan.item.title)
    post(desk, RENEW, {"action": "item", "barcode": loan.item.barcode})
    assert desk_lines(get(desk, RENEW)) == [
        ("refused", loan.item.barcode, "Another patron is waiting for this title.")
    ]
    assert Loan.objects.get(pk=loan.pk).renewals == 0


def test_a_blocked_patrons_card_shows_the_block_and_each_item_is_refused(desk, card, branch):
    PatronBlockFactory(patron=card.patron)
    item = ItemFactory(branch=branch)
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode})
    page = get(desk, CHECKOUT)
    assert "Borrowing suspended: Rules of behaviour (until lifted)" in page
    assert desk_lines(page) == [
        ("refused", item.barcode, "Borrowing is suspended: Rules of behaviour (until lifted).")
    ]
    assert not Loan.objects.exists()


def test_an_unknown_card_is_a_message(desk, unchanged):
    with unchanged():
        post(desk, CHECKOUT, {"action": "card", "card_number": "29999999999999"})
    page = get(desk, CHECKOUT)
    assert shows(page, "No library card has that number.")
    assert 'name="card_number"' in page  # still asking for a card


def test_an_item_before_a_card_is_a_message(desk, branch, unchanged):
    item = ItemFactory(branch=branch)
    with unchanged():
        post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode})
    assert shows(get(desk, CHECKOUT), "Scan the patron's card first.")


def test_an_overpayment_at_the_desk_is_a_message(desk, card, unchanged):
    fine = FineFactory(patron=card.patron, amount=Decimal("2.00"))
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    with unchanged():
        post(desk, PAYMENT, {"action": "pay", "fine": fine.pk, "amount": "2.01", "method": "card"})
    assert shows(get(desk, PAYMENT), "That is more than the balance of $2.00: overpayment refused.")


def test_a_fine_of_another_patron_cannot_be_paid_from_this_card(desk, card, unchanged):
    FineFactory(patron=card.patron)
    someone_elses = FineFactory()
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    with unchanged():
        post(
            desk,
            PAYMENT,
            {"action": "pay", "fine": someone_elses.pk, "amount": "1.00", "method": "cash"},
        )
    assert shows(get(desk, PAYMENT), "That fine is not on this patron's account.")


def test_pay_everything_settles_every_fine(desk, card):
    fines = [FineFactory(patron=card.patron, amount=Decimal(a)) for a in ("1.25", "3.00")]
    FineFactory(amount=Decimal("9.00"))  # another patron's
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    post(desk, PAYMENT, {"action": "pay_all", "method": "check"})
    page = get(desk, PAYMENT)
    assert shows(page, "Payment of $4.25 taken (check), receipt ")
    assert shows(page, "Nothing is owed now.")
    assert shows(page, "Nothing is owed on this card.")
    assert all(Fine.objects.get(pk=f.pk).settled_at for f in fines)
    assert Fine.objects.filter(settled_at__isnull=True).count() == 1


def test_the_hold_shelf_lists_waiting_holds_and_expires_unclaimed_ones(desk, card, branch, now):
    on_time = HoldFactory(waiting=True, pickup_branch=branch, patron=card.patron)
    late = HoldFactory(waiting=True, pickup_branch=branch)
    Hold.objects.filter(pk=late.pk).update(pickup_by=now - datetime.timedelta(days=1))
    page = get(desk, HOLD_SHELF)
    assert on_time.item.barcode in page and late.item.barcode in page
    assert "…0001" in page
    assert "Expire unclaimed pickups (1)" in page
    post(desk, HOLD_SHELF, {"action": "expire"})
    page = get(desk, HOLD_SHELF)
    assert "1 unclaimed hold expired" in page
    assert Hold.objects.get(pk=late.pk).status == Hold.Status.EXPIRED
    assert Hold.objects.get(pk=on_time.pk).status == Hold.Status.WAITING


def test_changing_the_desks_branch(desk, other_branch):
    post(desk, CHECKIN, {"action": "branch", "branch": other_branch.pk})
    assert desk.session[SESSION_KEY]["branch_id"] == other_branch.pk
    page = get(desk, CHECKIN)
    assert shows(page, "Now working at East Side Branch.")


def test_changing_branch_on_the_hold_shelf_page_expires_nothing(desk, branch, other_branch, now):
    late = HoldFactory(waiting=True, pickup_branch=branch)
    Hold.objects.filter(pk=late.pk).update(pickup_by=now - datetime.timedelta(hours=1))
    post(desk, HOLD_SHELF, {"action": "branch", "branch": other_branch.pk})
    assert Hold.objects.get(pk=late.pk).status == Hold.Status.WAITING
    assert desk.session[SESSION_KEY]["branch_id"] == other_branch.pk


# -- who may use the desk -----------------------------------------------------------------------


@pytest.mark.parametrize("url", DESK_PAGES.values(), ids=DESK_PAGES.keys())
def test_each_desk_page_opens_for_a_clerk(clerk_client, branch, url):
    response = clerk_client.get(url)
    assert response.status_code == 200
    assert response.templates[0].name.startswith("admin/circulation/desk/")


@pytest.mark.parametrize("url", DESK_PAGES.values(), ids=DESK_PAGES.keys())
def test_each_desk_page_is_forbidden_to_staff_without_a_role(roleless, card, branch, url):
    client = Client()
    client.force_login(roleless)
    item = ItemFactory(branch=branch)
    assert client.get(url).status_code == 403
    before = database_state()
    for data in (
        {"action": "card", "card_number": card.number},
        {"action": "item", "barcode": item.barcode},
        {"action": "expire"},
    ):
        assert client.post(url, data).status_code == 403
    assert database_state() == before
    assert SESSION_KEY not in client.session


def test_serving_a_patron_is_forbidden_to_staff_without_a_role(roleless, card):
    client = Client()
    client.force_login(roleless)
    for target in ("checkout", "payment"):
        response = client.post(SERVE_PATRON, {"desk": target, "patron": card.patron_id})
        assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_the_desk_is_not_open_to_the_public(client, branch):
    response = client.get(CHECKOUT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_desk_is_listed_under_circulation_on_the_admin_index(clerk_client):
    # The clerk's home is the desk home; the navigation lists the desk pages under "Desk".
    response = clerk_client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 200
    desk = next(app for app in response.context["available_apps"] if app["name"] == "Desk")
    listed = {entry["name"]: entry["admin_url"] for entry in desk["models"][1:6]}
    assert listed == DESK_PAGES
    assert list(listed) == ["Check out", "Check in", "Renew", "Hold shelf", "Take payment"]
    assert "Serve patron" not in {entry["name"] for entry in desk["models"]}
    html = response.content.decode()
    for url in DESK_PAGES.values():
        assert f'href="{url}"' in html


def test_the_desk_is_not_listed_for_staff_without_a_role(roleless):
    client = Client()
    client.force_login(roleless)
    html = client.get(reverse("admin:index")).content.decode()
    for url in DESK_PAGES.values():
        assert url not in html


# -- what the desk keeps, and where ------------------------------------------------------------


def test_the_desk_session_holds_no_title_name_or_card_number(desk, card, branch, lend):
    items = [
        ItemFactory(branch=branch, title=TitleFactory(title="The Anarchist Cookbook")),
        lend(PatronFactory(), title=TitleFactory(title="Lady Chatterley's Lover")).item,
    ]
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    for item in items:
        post(desk, CHECKOUT, {"action": "item", "barcode": item.barcode})
    page = get(desk, CHECKOUT)
    assert "The Anarchist Cookbook" in page  # on the screen, looked up at display time
    stored = json.dumps(desk.session[f"{SESSION_KEY}.checkout"])
    whole_session = json.dumps(dict(desk.session.items()), default=str)
    for secret in (
        "Anarchist",
        "Cookbook",
        "Chatterley",
        card.patron.first_name,
        card.patron.last_name,
        card.number,
    ):
        assert secret not in stored
        assert secret not in whole_session
    # The lines keep item ids, not even barcodes; titles are looked up at display time.
    assert [line["item"] for line in desk.session[f"{SESSION_KEY}.checkout"]["lines"]] == [
        item.pk for item in reversed(items)
    ]
    for item in items:
        assert item.barcode not in whole_session


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (CHECKOUT, {"action": "card", "card_number": CARD_NUMBER}),
        (CHECKOUT, {"action": "item", "barcode": "{barcode}"}),
        (CHECKOUT, {"action": "hold", "wanted": "{barcode}"}),
        (CHECKOUT, {"action": "done"}),
        (CHECKIN, {"action": "item", "barcode": "{barcode}"}),
        (CHECKIN, {"action": "clear"}),
        (RENEW, {"action": "item", "barcode": "{barcode}"}),
        (PAYMENT, {"action": "card", "card_number": CARD_NUMBER}),
        (PAYMENT, {"action": "pay", "fine": "{fine}", "amount": "1.00", "method": "cash"}),
        (PAYMENT, {"action": "done"}),
        (HOLD_SHELF, {"action": "expire"}),
    ],
)
def test_no_card_or_patron_number_in_any_url_the_desk_redirects_to(desk, card, branch, url, data):
    item = ItemFactory(branch=branch)
    fine = FineFactory(patron=card.patron)
    for page in (CHECKOUT, PAYMENT):
        post(desk, page, {"action": "card", "card_number": card.number})
    data = {k: v.format(barcode=item.barcode, fine=fine.pk) for k, v in data.items()}
    location = post(desk, url, data)  # asserts: a redirect, no digit in it
    assert location == url
    assert card.number[-4:] not in location and str(card.patron_id) not in location


def test_serving_a_patron_from_their_page_puts_no_number_in_the_url(clerk_client, card):
    for target, url in (("checkout", CHECKOUT), ("payment", PAYMENT)):
        location = post(clerk_client, SERVE_PATRON, {"desk": target, "patron": card.patron_id})
        assert location == url
        assert f"{card.masked_number}" in get(clerk_client, url)


# -- bad input -----------------------------------------------------------------------------------

BAD_SCANS = {
    "empty": "",
    "blank": "   ",
    "10000 characters": "3" * 10_000,
    "html": "<script>alert('desk')</script>",
    "markup": "<b>31234</b>",
    "punctuation": "3000-0001;DROP",
}
NUL = "3000\x000001"


@pytest.mark.parametrize("scan", BAD_SCANS.values(), ids=BAD_SCANS.keys())
@pytest.mark.parametrize(
    ("url", "field", "message"),
    [
        (CHECKOUT, "barcode", "Scan or type the item's barcode."),
        (CHECKIN, "barcode", "Scan or type the item's barcode."),
        (RENEW, "barcode", "Scan or type the item's barcode."),
        (CHECKOUT, "card_number", "Scan or type a 14-digit card number."),
        (PAYMENT, "card_number", "Scan or type a 14-digit card number."),
    ],
)
def test_a_bad_scan_is_a_message_and_changes_nothing(desk, card, url, field, message, scan):
    if field == "barcode" and url == CHECKOUT:
        post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    action = "card" if field == "card_number" else "item"
    before = database_state()
    post(desk, url, {"action": action, field: scan})
    page = get(desk, url)
    assert shows(page, message)
    assert desk_lines(page) == []
    assert "<script>alert" not in page
    assert database_state() == before


@pytest.mark.parametrize("url", [CHECKOUT, CHECKIN, RENEW, PAYMENT])
def test_a_nul_byte_is_a_bad_request_not_a_server_error(desk, card, url):
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    before = database_state()
    client_session = dict(desk.session[SESSION_KEY])
    for data in ({"action": "item", "barcode": NUL}, {"action": "card", "card_number": NUL}):
        assert desk.post(url, data).status_code == 400
    assert database_state() == before
    assert dict(desk.session[SESSION_KEY]) == client_session


AMOUNT = "Enter an amount such as 2.50."
NOT_THEIRS = "That fine is not on this patron's account."
METHOD = "Choose how the patron paid: cash, card or check."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "abc"}, AMOUNT),
        ({"amount": ""}, AMOUNT),
        ({"amount": "<script>alert(1)</script>"}, AMOUNT),
        ({"amount": "1" * 10_000}, AMOUNT),
        ({"amount": "-5"}, AMOUNT),
        ({"amount": "0"}, AMOUNT),
        ({"amount": "1.005"}, AMOUNT),
        ({"fine": "abc", "amount": "1.00"}, AMOUNT),
        ({"fine": "", "amount": "1.00"}, AMOUNT),
        ({"fine": "99999999999999999999999999", "amount": "1.00"}, NOT_THEIRS),
        ({"fine": "-1", "amount": "1.00"}, NOT_THEIRS),
        ({"amount": "1.00", "method": ""}, METHOD),
        ({"amount": "1.00", "method": "bitcoin"}, METHOD),
        ({"amount": "1.00", "method": "<b>cash</b>"}, METHOD),
    ],
)
def test_a_bad_payment_is_a_message_and_changes_nothing(desk, card, data, message):
    fine = FineFactory(patron=card.patron, amount=Decimal("3.00"))
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    before = database_state()
    post(desk, PAYMENT, {"action": "pay", "fine": fine.pk, "method": "cash", **data})
    page = get(desk, PAYMENT)
    assert shows(page, message)
    assert "<script>alert" not in page
    assert database_state() == before


def test_a_bad_hold_request_is_a_message(desk, card):
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    before = database_state()
    for wanted in ("", "<i>x</i>", "9" * 10_000):
        post(desk, CHECKOUT, {"action": "hold", "wanted": wanted})
        assert shows(get(desk, CHECKOUT), "Scan a copy of the title, or type its ISBN.")
    post(desk, CHECKOUT, {"action": "hold", "wanted": "9780000000000"})
    assert shows(get(desk, CHECKOUT), "No title matches that barcode or ISBN.")
    assert database_state() == before


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "abc"])
def test_serving_a_patron_with_a_malformed_patron_id_is_a_message(clerk, value):
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    response = client.post(SERVE_PATRON, {"desk": "checkout", "patron": value})
    assert response.status_code == 302
    assert shows(
        client.get(response["Location"], follow=True).content.decode(),
        "This patron has no active card.",
    )


def test_the_expired_card_of_a_patron_is_refused_before_serving_them(clerk_client, now):
    card = CardFactory(
        patron=PatronFactory(card_expires_on=timezone.localdate(now) - datetime.timedelta(days=1))
    )
    response = clerk_client.post(SERVE_PATRON, {"desk": "checkout", "patron": card.patron_id})
    assert response.status_code == 302
    assert response["Location"] != CHECKOUT
    assert f"{SESSION_KEY}.checkout" not in clerk_client.session


def test_the_check_out_page_offers_a_hold_openly_and_shows_the_place_in_the_queue(desk, card):
    """Placing a hold is a form on the page, not in a folded section; each queued hold
    says where the patron stands among those waiting for the title."""
    title = TitleFactory(title="Wolf Hall")
    ItemFactory(title=title, status=Item.Status.ON_LOAN)
    HoldFactory(title=title)  # someone asked first
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    page = get(desk, CHECKOUT)
    assert "<details" not in page
    assert 'name="wanted"' in page and "Place a hold" in page
    HoldFactory(title=title, patron=card.patron)
    page = unescape(get(desk, CHECKOUT))
    assert "Waiting in the queue, number 2" in page


def test_a_program_sign_up_at_the_desk(desk, card, branch, other_branch):
    """Every program not yet over, grouped by branch with the desk's own first, soonest
    first; a choice signs the patron up; a program that is over cannot be chosen."""
    now = timezone.now()
    later = ProgramFactory(
        name="Chess & <b>club</b>", branch=branch, starts_at=now + datetime.timedelta(9)
    )
    sooner = ProgramFactory(name="Story time", branch=branch, starts_at=now + datetime.timedelta(2))
    away = ProgramFactory(
        name="Film night", branch=other_branch, starts_at=now + datetime.timedelta(1)
    )
    over = ProgramFactory(
        name="Old lecture",
        branch=branch,
        starts_at=now - datetime.timedelta(3),
        ends_at=now - datetime.timedelta(2),
    )
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    page = get(desk, CHECKOUT)
    select = page.split('<select id="id_program" name="program" required>')[1]
    select = select.split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups == ["Central Library", "East Side Branch"]
    values = re.findall(r'<option value="(\d*)"', select)
    assert values == ["", str(sooner.pk), str(later.pk), str(away.pk)]
    assert "Story time — " in select and "(Central Library)" in select
    assert "Old lecture" not in select
    assert "Chess &amp; &lt;b&gt;club&lt;/b&gt; — " in select and "<b>" not in select

    post(desk, CHECKOUT, {"action": "program", "program": sooner.pk})
    assert ProgramRegistration.objects.filter(program=sooner, patron=card.patron).exists()
    assert shows(get(desk, CHECKOUT), "Signed up.")

    post(desk, CHECKOUT, {"action": "program", "program": over.pk})
    assert not ProgramRegistration.objects.filter(program=over).exists()
    assert shows(get(desk, CHECKOUT), "Choose a program.")


def test_the_check_out_page_logs_its_patron_once_per_window_without_asking_again(
    desk, card, branch
):
    """Every scan shows the check-out page again: one access entry per patron and repeat
    window, and after the transaction wrote it the page does not query the audit trail."""
    entries = LogEntry.objects.filter(additional_data__page="desk:checkout")
    post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
    get(desk, CHECKOUT)
    assert entries.filter(additional_data__patron=card.patron_id).count() == 1
    post(desk, CHECKOUT, {"action": "item", "barcode": ItemFactory(branch=branch).barcode})
    with CaptureQueriesContext(connection) as queries:
        get(desk, CHECKOUT)
    assert not any("auditlog_logentry" in q["sql"] for q in queries.captured_queries)
    assert entries.filter(additional_data__patron=card.patron_id).count() == 1

    other = CardFactory(number="21234000000555")
    post(desk, CHECKOUT, {"action": "card", "card_number": other.number})
    get(desk, CHECKOUT)
    assert entries.filter(additional_data__patron=other.patron_id).count() == 1
