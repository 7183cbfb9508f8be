"""The circulation rules matrix: category x item type x branch, the most specific rule wins;
check-out, limits, fines, renewals and holds follow it; the matrix page shows it."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from circulation import services
from circulation.exceptions import CirculationRefusal
from circulation.models import CirculationRule, Fine, Item, Loan
from circulation.models.rules import RuleBook
from patrons.models import Patron, PatronCategory
from tests.circulation.conftest import default_rule, end_of_day
from tests.circulation.test_desk import CHECKOUT, RENEW, post
from tests.factories import BranchFactory, ItemFactory, TitleFactory
from tests.helpers import portal_signed_in as portal_client
from tests.helpers import signed_in

DAY = datetime.timedelta(days=1)


def rule(**fields) -> CirculationRule:
    fields.setdefault("patron_category", "")
    fields.setdefault("item_type", "")
    fields.setdefault("branch", None)
    key = {k: fields.pop(k) for k in ("patron_category", "item_type", "branch")}
    # A category is a PatronCategory row, named by its code; "" is "any category".
    key["patron_category_id"] = key.pop("patron_category") or None
    obj, _ = CirculationRule.objects.update_or_create(**key, defaults=fields)
    return obj


def test_the_data_migration_turned_the_loan_policies_into_rules(db):
    dvd = CirculationRule.objects.get(patron_category=None, item_type="dvd", branch=None)
    assert (dvd.loan_days, dvd.max_renewals, dvd.daily_fine) == (7, 1, Decimal("1.00"))
    assert default_rule().max_loans == 30  # the former global loan limit


def test_the_most_specific_rule_wins_in_the_documented_order(branch, other_branch):
    cells = [
        (branch, "child", "dvd"),
        (branch, "child", ""),
        (branch, "", "dvd"),
        (branch, "", ""),
        (None, "child", "dvd"),
        (None, "child", ""),
        (None, "", "dvd"),
    ]
    made = [
        rule(branch=b, patron_category=c, item_type=t, loan_days=n + 1)
        for n, (b, c, t) in enumerate(cells)
    ]
    # Remove the rules one by one, most specific first: the next in line takes over.
    for expected in [*made[1:], default_rule()]:
        found = RuleBook().find(category="child", item_type="dvd", branch_id=branch.pk)
        assert (
            found.pk
            == CirculationRule.objects.filter(pk__in=[m.pk for m in made])
            .order_by("loan_days")
            .first()
            .pk
        )
        CirculationRule.objects.filter(pk=found.pk).delete()
        assert RuleBook().find(category="child", item_type="dvd", branch_id=branch.pk).pk == (
            expected.pk
        )
    # Another branch never sees this branch's rules.
    assert RuleBook().find(category="child", item_type="dvd", branch_id=other_branch.pk).pk == (
        default_rule().pk
    )


def test_with_no_rule_at_all_the_built_in_defaults_apply(db):
    CirculationRule.objects.all().delete()
    found = RuleBook().find(category="adult", item_type="book", branch_id=None)
    assert found.pk is None and found.loan_days == 21 and found.holdable


def test_checkout_follows_the_branchs_rule_for_the_category_and_stores_it(
    card, clerk, branch, other_branch
):
    Patron.objects.filter(pk=card.patron_id).update(category="child")
    here = rule(branch=other_branch, patron_category="child", item_type="book", loan_days=10)
    item = ItemFactory(branch=branch)
    now = timezone.now()
    loan = services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=clerk, branch=other_branch, now=now
    )
    assert loan.rule == here and loan.due_at == end_of_day(now + 10 * DAY)
    # At the item's own branch the any-branch book rule applies (21 days).
    services.loan_return(barcode=item.barcode, actor=clerk, now=now + DAY)
    loan = services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=clerk, branch=branch, now=now + DAY
    )
    assert loan.rule.item_type == "book" and loan.rule.branch is None
    assert loan.due_at == end_of_day(now + 22 * DAY)


def test_the_loans_allowed_of_an_item_type_rule_count_that_type_only(
    card, clerk, branch, lend, refused
):
    rule(item_type="dvd", max_loans=1)
    lend(card.patron, item_type="dvd")
    lend(card.patron, item_type="book")
    dvd = ItemFactory(branch=branch, item_type="dvd")
    refused(
        lambda: services.loan_checkout(card_number=card.number, barcode=dvd.barcode, actor=clerk),
        code=CirculationRefusal.LOAN_LIMIT,
        message="Loan limit reached (1 DVD items).",
    )
    book = ItemFactory(branch=branch, item_type="book")
    assert services.loan_checkout(card_number=card.number, barcode=book.barcode, actor=clerk)


def test_the_overdue_fine_follows_the_rule_of_the_category(card, clerk, lend):
    Patron.objects.filter(pk=card.patron_id).update(category="senior")
    rule(patron_category="senior", daily_fine=Decimal("0.00"), max_fine=Decimal("0.00"))
    loan = lend(card.patron, item_type="magazine", due_in_days=-10)
    # The senior rule (any type) beats the magazine rule (any category) at rank 6 vs 7.
    result = services.loan_return(barcode=loan.item.barcode, actor=clerk)
    assert result.fine is None and not Fine.objects.exists()


def test_renewals_follow_the_rule(card, clerk, lend, refused):
    Patron.objects.filter(pk=card.patron_id).update(category="non_resident")
    rule(patron_category="non_resident", item_type="book", max_renewals=0)
    loan = lend(card.patron, due_in_days=3)
    refused(
        lambda: services.loan_renew(loan=loan, actor=clerk),
        code=CirculationRefusal.RENEWAL,
        message="Renewal limit reached (0).",
    )


def test_a_hold_on_a_title_whose_copies_are_not_holdable_is_refused(card, branch, clerk, refused):
    rule(item_type="magazine", holdable=False)
    title = TitleFactory()
    ItemFactory(title=title, branch=branch, item_type="magazine")
    refused(
        lambda: services.hold_place(
            patron=card.patron, title=title, pickup_branch=branch, actor=clerk
        ),
        code=CirculationRefusal.NOT_HOLDABLE,
    )
    ItemFactory(title=title, branch=branch, item_type="book")  # one holdable copy is enough
    assert services.hold_place(patron=card.patron, title=title, pickup_branch=branch, actor=clerk)


def test_the_hold_limit_comes_from_the_rule(card, branch, clerk, refused):
    rule(item_type="book", max_holds=1)
    first, second = TitleFactory(), TitleFactory()
    for title in (first, second):
        ItemFactory(title=title, branch=branch, status=Item.Status.ON_LOAN)
    services.hold_place(patron=card.patron, title=first, pickup_branch=branch, actor=clerk)
    refused(
        lambda: services.hold_place(
            patron=card.patron, title=second, pickup_branch=branch, actor=clerk
        ),
        code=CirculationRefusal.HOLD_LIMIT,
        message="Hold limit reached (1 holds).",
    )


def test_the_matrix_page_shows_the_rule_of_each_cell_per_branch(librarian, branch, other_branch):
    child_dvd = rule(branch=branch, patron_category="child", item_type="dvd", loan_days=3)
    client = signed_in(librarian)
    page = client.get("/admin/circulation/rules-matrix/", {"branch": branch.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<th scope="row">Child</th>' in html and '<th scope="col">DVD</th>' in html
    assert f"Rule #{child_dvd.pk}</a>: Child / DVD / {branch.name}" in html
    elsewhere = client.get("/admin/circulation/rules-matrix/", {"branch": other_branch.pk})
    assert f"Rule #{child_dvd.pk}<" not in elsewhere.content.decode()
    assert client.get("/admin/circulation/rules-matrix/", {"branch": "x"}).status_code == 200


def test_the_desk_shows_which_rule_applied_to_a_loan(librarian, card, clerk, branch):
    item = ItemFactory(branch=branch)
    loan = services.loan_checkout(card_number=card.number, barcode=item.barcode, actor=clerk)
    page = signed_in(librarian).get(f"/admin/patrons/patron/{card.patron_id}/change/")
    assert f"{loan.rule}: Any category / Book / any branch" in page.content.decode().replace(
        "any category", "Any category"
    )
    assert Loan.objects.get(pk=loan.pk).rule_id == loan.rule_id


pytestmark = pytest.mark.django_db


def test_a_category_the_administrator_adds_gets_its_row_and_its_own_rules(
    librarian, card, clerk, branch
):
    homebound = PatronCategory.objects.create(code="homebound", name="Homebound delivery")
    Patron.objects.filter(pk=card.patron_id).update(category=homebound)
    mine = rule(patron_category="homebound", item_type="book", loan_days=42)
    page = signed_in(librarian).get("/admin/circulation/rules-matrix/").content.decode()
    assert '<th scope="row">Homebound delivery</th>' in page
    assert f"Rule #{mine.pk}</a>: Homebound delivery / Book / any branch" in page
    item = ItemFactory(branch=branch, item_type="book")
    loan = services.loan_checkout(card_number=card.number, barcode=item.barcode, actor=clerk)
    assert loan.rule == mine
    assert timezone.localtime(loan.due_at).date() >= (timezone.localdate() + 42 * DAY)
    # "Any category" stays one rule per cell: a second one for the same cell is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        CirculationRule.objects.create(patron_category=None, item_type="book", branch=None)
    # A category with rules cannot be deleted from under them.
    Patron.objects.filter(pk=card.patron_id).update(category="adult")
    with pytest.raises(Exception, match="protected"), transaction.atomic():
        homebound.delete()


def test_the_rules_lookup_adds_no_query_per_loan_on_the_account_and_desk_pages(
    card, clerk, branch, lend
):
    """The portal's account page and the desk's check-out and renew pages (the patron's
    loans, renewable or not by their rule) cost as many queries with 10 loans as with 2."""
    for item_type in ("book", "dvd", "audiobook"):
        rule(patron_category="adult", item_type=item_type, branch=branch, max_renewals=1)
    rule(patron_category="adult", max_loans=50)
    types = ["book", "dvd", "audiobook", "large_print", "magazine"]
    portal = portal_client(card)
    desk = signed_in(clerk)
    post(desk, CHECKOUT, {"action": "branch", "branch": branch.pk})

    def queries_per_page() -> dict[str, int]:
        counts = {}
        for name, client, url, card_page in (
            ("portal account", portal, reverse("portal:account"), None),
            ("desk check-out", desk, CHECKOUT, CHECKOUT),
            ("desk renew", desk, RENEW, None),
        ):
            if card_page:
                post(client, card_page, {"action": "card", "card_number": card.number})
            client.get(url)  # once to warm the session and the access-log repeat window
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[name] = len(queries)
        return counts

    for n in range(2):
        lend(card.patron, item_type=types[n], due_in_days=n - 1)
    with_two = queries_per_page()
    for n in range(2, 10):
        lend(card.patron, item_type=types[n % len(types)], due_in_days=n - 5)
    assert queries_per_page() == with_two


def test_loans_made_at_more_branches_add_no_query_to_the_account_and_desk_pages(
    card, clerk, branch, lend
):
    """Each branch's calendar (its closed days and opening hours) decides a renewal's due
    date: the calendars of every branch the loans were made at are read together, so
    loans from three branches cost the pages as many queries as loans from one."""
    portal = portal_client(card)
    desk = signed_in(clerk)
    post(desk, CHECKOUT, {"action": "branch", "branch": branch.pk})

    def queries_per_page() -> dict[str, int]:
        counts = {}
        for name, url in (("portal account", reverse("portal:account")), ("desk renew", RENEW)):
            portal_or_desk = portal if name.startswith("portal") else desk
            if name == "desk renew":
                post(desk, CHECKOUT, {"action": "card", "card_number": card.number})
            portal_or_desk.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert portal_or_desk.get(url).status_code == 200
            counts[name] = len(queries)
        return counts

    for n in range(2):
        lend(card.patron, due_in_days=n + 3)
    one_branch = queries_per_page()
    for n in range(2):
        lend(card.patron, due_in_days=n + 3, branch=BranchFactory())
    assert len({loan.branch_id for loan in Loan.objects.filter(patron=card.patron)}) == 3
    assert queries_per_page() == one_branch
