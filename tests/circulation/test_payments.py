"""Payments with their method and receipt number, waivers with a reason, the payment
receipt, and the desk's forms for charges added by hand and copies lost or damaged."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal
from circulation.models import Fine, FinePayment, Item, Loan
from privacy import retention
from stats.models import ChargeDay
from tests.circulation.test_desk import get, post, shows
from tests.factories import FineFactory, ItemFactory, LoanFactory, TitleFactory
from tests.helpers import database_refuses, set_library_policy
from tests.helpers import portal_signed_in as portal_client

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
PAYMENT = reverse("admin:circulation_payment")
RECEIPT = reverse("admin:circulation_payment_receipt")
LOST_DAMAGED = reverse("admin:circulation_lost_damaged")


@pytest.fixture
def fines(card):
    return [FineFactory(patron=card.patron, amount=Decimal(a)) for a in ("1.25", "3.00")]


# -- the service -------------------------------------------------------------------------------


def test_a_payment_records_its_method_and_a_receipt_number_per_branch_and_day(
    card, fines, branch, other_branch, clerk
):
    now = timezone.now()
    day = f"{timezone.localtime(now):%Y%m%d}"
    first = services.payment_take(
        patron=card.patron,
        parts=[(fines[0], "1.25"), (fines[1], "1.00")],
        method="card",
        branch=branch,
        actor=clerk,
        now=now,
    )
    assert first == f"MAIN-{day}-0001"
    rows = FinePayment.objects.order_by("pk")
    assert [(p.number, p.kind, p.amount, p.method) for p in rows] == [
        (first, "overdue", Decimal("1.25"), "card"),
        (first, "overdue", Decimal("1.00"), "card"),
    ]
    assert rows[0].taken_by == clerk and rows[0].branch == branch
    second = services.payment_take(
        patron=card.patron, parts=[(fines[1], "2.00")], method="cash", branch=branch, actor=clerk
    )
    assert second == f"MAIN-{day}-0002"
    assert Fine.objects.get(pk=fines[1].pk).settled_at is not None
    # Another branch counts its own receipts; the next day starts again at 1.
    other = FineFactory(patron=card.patron)
    assert services.payment_take(
        patron=card.patron,
        parts=[(other, "1.00")],
        method="check",
        branch=other_branch,
        actor=clerk,
    ).startswith(f"EAST-{day}-0001")
    tomorrow = now + DAY
    assert (
        services.payment_take(
            patron=card.patron,
            parts=[(other, "1.00")],
            method="cash",
            branch=branch,
            actor=clerk,
            now=tomorrow,
        )
        == f"MAIN-{timezone.localtime(tomorrow):%Y%m%d}-0001"
    )


@pytest.mark.parametrize("method", ["", "bitcoin", "CASH", None])
def test_a_payment_without_a_known_method_is_refused(card, fines, branch, clerk, refused, method):
    refused(
        lambda: services.payment_take(
            patron=card.patron,
            parts=[(fines[0], "1.00")],
            method=method,
            branch=branch,
            actor=clerk,
        ),
        code=CirculationRefusal.METHOD,
        message="Choose how the patron paid: cash, card or check.",
    )


def test_a_payment_is_all_or_nothing(card, fines, branch, clerk, refused):
    # The second part is more than its balance: the first is not taken either.
    refused(
        lambda: services.payment_take(
            patron=card.patron,
            parts=[(fines[0], "1.25"), (fines[1], "3.01")],
            method="cash",
            branch=branch,
            actor=clerk,
        ),
        code=CirculationRefusal.OVERPAYMENT,
    )
    someone_elses = FineFactory()
    refused(
        lambda: services.payment_take(
            patron=card.patron,
            parts=[(someone_elses, "1.00")],
            method="cash",
            branch=branch,
            actor=clerk,
        ),
        code=CirculationRefusal.PATRON,
    )


def test_the_database_refuses_a_payment_without_a_known_method(card, fines, branch):
    with database_refuses():
        FinePayment.objects.create(
            number="X",
            patron=card.patron,
            fine=fines[0],
            kind="overdue",
            amount=Decimal("1.00"),
            method="swap",
            branch=branch,
        )
    with database_refuses():
        FinePayment.objects.create(
            number="X",
            patron=card.patron,
            fine=fines[0],
            kind="overdue",
            amount=Decimal("0.00"),
            method="cash",
            branch=branch,
        )


def test_the_database_refuses_a_waiver_without_a_reason_from_the_list(fines):
    with database_refuses():
        Fine.objects.filter(pk=fines[0].pk).update(
            waived_at=timezone.now(), settled_at=timezone.now(), waive_reason=""
        )
    with database_refuses():
        Fine.objects.filter(pk=fines[0].pk).update(
            waived_at=timezone.now(), settled_at=timezone.now(), waive_reason="because"
        )


def test_the_expunge_deletes_payments_with_their_fines_and_the_number_goes_with_them(
    card, fines, branch, clerk
):
    number = services.payment_take(
        patron=card.patron,
        parts=[(fines[0], "1.25"), (fines[1], "1.00")],
        method="cash",
        branch=branch,
        actor=clerk,
    )
    retention.expunge(now=timezone.now() + DAY)
    # The first fine is paid: it goes, with its payment. The second is still owed: its
    # payment is kept with it.
    assert list(FinePayment.objects.values_list("fine", flat=True)) == [fines[1].pk]
    assert not Fine.objects.filter(pk=fines[0].pk).exists()
    services.payment_take(
        patron=card.patron, parts=[(fines[1], "2.00")], method="cash", branch=branch, actor=clerk
    )
    retention.expunge(now=timezone.now() + DAY)
    assert not FinePayment.objects.exists() and not Fine.objects.exists()
    # The day's totals stay, and nothing stored still carries the receipt number.
    # The statistics keep the amount (merged into the month's charges: one patron paid).
    assert ChargeDay.objects.aggregate(n=Sum("amount_paid"))["n"] == Decimal("4.25")
    assert not LogEntry.objects.filter(changes_text__contains=number).exists()
    assert not LogEntry.objects.filter(object_repr__contains=number).exists()


# -- the desk: taking payment, the receipt -------------------------------------------------


@pytest.fixture
def desk(librarian_client, branch):
    post(librarian_client, PAYMENT, {"action": "branch", "branch": branch.pk})
    return librarian_client


def test_the_payment_receipt_lists_payments_by_kind_and_waivers_with_their_reason(
    desk, card, branch
):
    loan = LoanFactory(patron=card.patron, item=ItemFactory(title=TitleFactory(title="Emma")))
    overdue = FineFactory(patron=card.patron, loan=loan, amount=Decimal("2.00"))
    printing = FineFactory(patron=card.patron, reason="printing", amount=Decimal("0.40"))
    forgiven = FineFactory(patron=card.patron, amount=Decimal("1.10"))
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    assert "Payment receipt" not in get(desk, PAYMENT)  # nothing taken yet
    post(desk, PAYMENT, {"action": "pay", "fine": overdue.pk, "amount": "2.00", "method": "card"})
    post(desk, PAYMENT, {"action": "pay", "fine": printing.pk, "amount": "0.40", "method": "cash"})
    post(
        desk,
        PAYMENT,
        {"action": "waive", "fine": forgiven.pk, "reason": "hardship", "note": "spoke to Ms Q"},
    )
    assert "Payment receipt" in get(desk, PAYMENT)
    page = get(desk, RECEIPT)
    day = f"{timezone.localdate():%Y%m%d}"
    for text in (
        f"No. MAIN-{day}-0001",
        "Method Credit or debit card",
        "Overdue Emma $2.00",
        f"No. MAIN-{day}-0002",
        "Method Cash",
        "Printing and copies $0.40",
        "Waived",
        "Overdue Reason: Financial hardship $1.10",
        "Nothing is owed now.",
        "Card …0001",
    ):
        assert shows(page, text), text
    assert "spoke to Ms Q" not in page  # the staff note stays with the fine
    assert 'class="receipt"' in page and "slips.css" in page


def test_the_receipt_shows_only_this_transaction_and_needs_a_card(desk, card, fines):
    assert desk.get(RECEIPT).status_code == 302
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    post(desk, PAYMENT, {"action": "pay", "fine": fines[0].pk, "amount": "1.25", "method": "cash"})
    post(desk, PAYMENT, {"action": "done"})
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    page = get(desk, RECEIPT)
    assert shows(page, "No payment was taken in this transaction.")
    assert shows(page, "Still owed: $3.00")


# -- the desk: a charge added by hand ------------------------------------------------------


def test_a_librarian_adds_a_charge_at_the_desk(desk, card):
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    assert "Add a charge" in get(desk, PAYMENT)
    post(
        desk,
        PAYMENT,
        {"action": "charge", "reason": "card", "amount": "1.00", "note": "second this year"},
    )
    assert shows(get(desk, PAYMENT), "Charge of $1.00 added (Replacement card).")
    fine = Fine.objects.get()
    assert (fine.reason, fine.amount, fine.note) == ("card", Decimal("1.00"), "second this year")
    assert ChargeDay.objects.get(reason="card").amount_charged == Decimal("1.00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "overdue", "amount": "1.00"}, "Choose a reason for the charge from the list."),
        ({"reason": "", "amount": "1.00"}, "Choose a reason for the charge."),
        ({"amount": "1.00"}, "Choose a reason for the charge."),
        ({"reason": "card", "amount": "0"}, "Enter an amount such as 2.50."),
        ({"reason": "card", "amount": "lots"}, "Enter an amount such as 2.50."),
        ({"reason": "card", "amount": "1.005"}, "Enter an amount such as 2.50."),
        (
            {"reason": "card", "amount": "1.00", "note": "x" * 101},
            "Keep the note under 100 characters.",
        ),
        (
            {"reason": "other", "amount": "1.00", "note": "  "},
            "For “Other”, say in the note what the charge is for.",
        ),
    ],
)
def test_a_bad_charge_is_a_message_and_changes_nothing(desk, card, unchanged, data, message):
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    with unchanged():
        post(desk, PAYMENT, {"action": "charge", **data})
    assert shows(get(desk, PAYMENT), message)


def test_the_reason_list_starts_with_no_reason_chosen(desk, card):
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    page = get(desk, PAYMENT)
    select = page.split('id="id_charge_reason"', 1)[1].split("</select>", 1)[0]
    assert select.startswith(' name="reason" required><option value="" selected>Choose a reason<')
    assert select.count("selected") == 1


def test_the_note_on_a_charge_shows_where_staff_list_unpaid_fines_and_nowhere_else(
    desk, card, librarian
):
    """The note says what an "Other" charge is for: on the desk's and the patron page's
    lists of unpaid fines. Not on the patron's receipt or portal page, and not in the
    audit log's text."""
    post(desk, PAYMENT, {"action": "card", "card_number": card.number})
    post(
        desk,
        PAYMENT,
        {"action": "charge", "reason": "other", "amount": "3.00", "note": "Headphones broken"},
    )
    fine = Fine.objects.get()
    assert (fine.reason, fine.note) == ("other", "Headphones broken")
    row = get(desk, PAYMENT).split("Unpaid fines", 1)[1].split("</tr>", 2)[1]
    assert "<td>Other</td>" in row and "Headphones broken" in row and "—" not in row
    patron_page = desk.get(reverse("admin:patrons_patron_change", args=[card.patron_id]))
    fines_list = patron_page.content.decode().split('id="patron-fines"', 1)[1]
    assert '<th scope="col">For</th>' in fines_list and "Headphones broken" in fines_list

    entries = LogEntry.objects.filter(object_pk=str(fine.pk))
    assert entries.exists()
    assert not any("Headphones" in f"{e.changes} {e.changes_text}" for e in entries)
    assert "Headphones" not in portal_client(card).get("/portal/").content.decode()
    post(desk, PAYMENT, {"action": "pay_all", "method": "cash"})
    assert "Headphones" not in get(desk, RECEIPT)


def test_a_clerk_cannot_add_a_charge(clerk_client, card, unchanged):
    post(clerk_client, PAYMENT, {"action": "card", "card_number": card.number})
    assert "Add a charge" not in get(clerk_client, PAYMENT)
    with unchanged():
        post(clerk_client, PAYMENT, {"action": "charge", "reason": "card", "amount": "1.00"})
    assert shows(
        get(clerk_client, PAYMENT),
        "You may not add a charge. The roles Librarian and Library administrator may.",
    )


# -- the desk: lost and damaged ------------------------------------------------------------


def test_a_librarian_declares_a_copy_on_loan_lost_at_the_desk(desk, card, branch, settings):
    set_library_policy(lost_processing_fee=Decimal("5.00"))
    item = ItemFactory(branch=branch, status=Item.Status.ON_LOAN, price=Decimal("30.00"))
    loan = LoanFactory(item=item, patron=card.patron)
    assert "Lost and damaged" in get(desk, PAYMENT)  # a tab of the desk
    # One scan only asks: the amount to charge, and nothing changed yet.
    asked = desk.post(LOST_DAMAGED, {"action": "lost", "barcode": item.barcode})
    assert asked.status_code == 200
    assert shows(asked.content.decode(), "Its borrower will be charged $35.00")
    assert shows(asked.content.decode(), "Declare lost and charge $35.00")
    assert card.patron.last_name not in asked.content.decode()
    assert Item.objects.get(pk=item.pk).status == Item.Status.ON_LOAN
    assert not Fine.objects.filter(loan=loan).exists()
    # A confirmation for another amount (the price changed meanwhile) is refused.
    post(desk, LOST_DAMAGED, {"action": "lost_confirm", "barcode": item.barcode, "total": "29.95"})
    assert shows(get(desk, LOST_DAMAGED), "The charge is not the one you confirmed")
    assert not Fine.objects.filter(loan=loan).exists()
    post(desk, LOST_DAMAGED, {"action": "lost_confirm", "barcode": item.barcode, "total": "35.00"})
    page = get(desk, LOST_DAMAGED)
    assert shows(
        page,
        f"Item {item.barcode} is marked lost. Charged to its borrower: $30.00 lost item and "
        "$5.00 processing fee (lost item).",
    )
    assert card.patron.last_name not in page
    assert Item.objects.get(pk=item.pk).status == Item.Status.LOST
    assert Loan.objects.get(pk=loan.pk).returned_at is not None
    post(desk, LOST_DAMAGED, {"action": "lost", "barcode": item.barcode})
    assert shows(get(desk, LOST_DAMAGED), "This item is already lost.")


def test_a_librarian_declares_a_copy_damaged_with_a_charge(desk, card, branch):
    item = ItemFactory(branch=branch)
    LoanFactory(item=item, patron=card.patron, returned_at=timezone.now())
    post(
        desk,
        LOST_DAMAGED,
        {"action": "damaged", "barcode": item.barcode, "charge": "4.50", "note": "water"},
    )
    assert shows(
        get(desk, LOST_DAMAGED),
        f"Item {item.barcode} is marked damaged and out of circulation. $4.50 charged to the "
        "patron who had it.",
    )
    fine = Fine.objects.get()
    assert (fine.reason, fine.amount, fine.note, fine.patron) == (
        "damaged",
        Decimal("4.50"),
        "water",
        card.patron,
    )


@pytest.mark.parametrize(
    "data",
    [
        {"action": "lost", "barcode": "NO-SUCH-ITEM"},
        {"action": "damaged", "barcode": "NO-SUCH-ITEM"},
        {"action": "lost", "barcode": ""},
        {"action": "damaged", "barcode": "{item}", "charge": "-3"},
        {"action": "melted", "barcode": "{item}"},
    ],
)
def test_a_bad_declaration_is_a_message_and_changes_nothing(desk, branch, unchanged, data):
    item = ItemFactory(branch=branch)
    data = {k: v.replace("{item}", item.barcode) for k, v in data.items()}
    with unchanged():
        post(desk, LOST_DAMAGED, data)
    page = desk.get(LOST_DAMAGED).content.decode()
    assert '<li class="error">' in page  # said why, in the message list


def test_a_clerk_declares_a_copy_lost_but_not_damaged_and_is_told_who_may(
    clerk_client, card, branch
):
    """Clerks may declare a copy lost; damaged stays with the librarians, and
    the refusal says so."""
    post(
        clerk_client,
        reverse("admin:circulation_checkout"),
        {"action": "branch", "branch": branch.pk},
    )
    tabs = get(clerk_client, PAYMENT).split('class="desk-tabs"')[1].split("</nav>")[0]
    assert ">Lost and damaged</a>" in tabs  # a tab of the clerk's desk, not only the sidebar
    lost, damaged = ItemFactory(branch=branch), ItemFactory(branch=branch)
    asked = clerk_client.post(LOST_DAMAGED, {"action": "lost", "barcode": lost.barcode})
    assert asked.status_code == 200  # the desk asks first (no one is charged: not on loan)
    post(
        clerk_client,
        LOST_DAMAGED,
        {"action": "lost_confirm", "barcode": lost.barcode, "total": "0.00"},
    )
    assert Item.objects.get(pk=lost.pk).status == Item.Status.LOST
    post(clerk_client, LOST_DAMAGED, {"action": "damaged", "barcode": damaged.barcode})
    assert shows(
        get(clerk_client, LOST_DAMAGED),
        "You may not declare an item damaged. The roles Librarian and Library administrator may.",
    )
    assert Item.objects.get(pk=damaged.pk).status == Item.Status.AVAILABLE
