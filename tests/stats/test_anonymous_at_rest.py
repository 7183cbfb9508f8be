"""Statistics tables anonymous at rest: once the expunge has run, no
row of the statistics tables was made by fewer than k patrons (CALUMET_ANONYMITY_K),
except the last step of a table's ladder, a month at one branch; and the totals are the
activity's, before and after."""

from __future__ import annotations

import datetime
from collections import defaultdict

import pytest
from django.db.models import Sum
from django.test.utils import override_settings
from django.utils import timezone

from circulation import services
from circulation.models import ComputerSession, Item, Loan, VisitCount
from patrons.models import Patron
from privacy import retention
from stats.models import CirculationDay, ComputerUseDay, HoldDay, TitleMonth
from tests.factories import CardFactory, ItemFactory, PatronFactory, TitleFactory
from tests.stats.conftest import at

pytestmark = pytest.mark.django_db

AFTER = at(31, 23) + datetime.timedelta(days=15)  # every March record is past retention


def _sums():
    return {
        "checkouts": CirculationDay.objects.aggregate(n=Sum("checkouts"))["n"],
        "renewals": CirculationDay.objects.aggregate(n=Sum("renewals"))["n"],
        "returns": CirculationDay.objects.aggregate(n=Sum("returns"))["n"],
        "titles": TitleMonth.objects.aggregate(n=Sum("checkouts"))["n"],
        "visits": VisitCount.objects.aggregate(n=Sum("count"))["n"],
        "sessions": ComputerUseDay.objects.aggregate(n=Sum("sessions"))["n"],
        "minutes": ComputerUseDay.objects.aggregate(n=Sum("minutes"))["n"],
        "holds": HoldDay.objects.aggregate(n=Sum("placed"))["n"],
    }


def _borrowers():
    """Who made each finest circulation cell (check-outs and returns) and each
    title-month, before the expunge."""
    cells, titles = defaultdict(set), defaultdict(set)
    for loan in Loan.objects.select_related("item", "patron"):
        day = timezone.localdate(loan.checked_out_at)
        key = (day, loan.branch_id, loan.item.item_type, loan.patron.category_id)
        cells[key].add(loan.patron_id)
        if loan.returned_at:
            back = timezone.localdate(loan.returned_at)
            cells[(back, *key[1:])].add(loan.patron_id)
        titles[day.replace(day=1), loan.item.title_id].add(loan.patron_id)
    return cells, titles


def test_every_cell_left_has_k_patrons_or_is_a_branch_month(activity):
    totals = _sums()
    assert totals["checkouts"] == activity.expected["checkouts"]
    # Before: the join works (a day's cell of one category at one desk).
    assert CirculationDay.objects.filter(item_type=Item.ItemType.DVD, checkouts=2).exists()
    retention.expunge(now=AFTER)
    assert not Loan.objects.filter(returned_at__isnull=False).exists()  # they are gone
    assert _sums() == totals  # counts moved, never lost
    # Three patrons in all: fewer than 5, so nothing finer than a branch's month is left.
    for row in CirculationDay.objects.all():
        assert row.generalised and row.day.day == 1, row.day
        assert (row.item_type, row.patron_category) == ("", "")
    for model in (ComputerUseDay, HoldDay, VisitCount):
        assert set(model.objects.values_list("day__day", flat=True)) == {1}, model
    assert list(TitleMonth.objects.values_list("title_id", flat=True)) == [None]
    # The statistics' totals still equal the activity.
    assert totals["visits"] == activity.expected["visits"]
    assert totals["sessions"] == activity.expected["computer_sessions"]
    assert ComputerSession.objects.count() == 0


def test_a_cell_of_k_patrons_keeps_its_detail(activity, librarian):
    """Five adults borrow books at Central on the 20th; one child borrows a DVD there the
    same day. The adults' cell stays a day's; the child's goes into Central's month."""
    central = activity.central
    title = TitleFactory()
    adults = [CardFactory(patron=PatronFactory(home_branch=central)) for _ in range(5)]
    for card in adults:
        item = ItemFactory(branch=central, title=title)
        services.loan_checkout(
            card_number=card.number, barcode=item.barcode, actor=librarian, branch=central,
            now=at(20),
        )  # fmt: skip
    child = CardFactory(
        patron=PatronFactory(home_branch=central, category_id=Patron.Category.CHILD)
    )
    dvd = ItemFactory(branch=central, item_type=Item.ItemType.DVD)
    services.loan_checkout(
        card_number=child.number, barcode=dvd.barcode, actor=librarian, branch=central, now=at(20)
    )
    for loan in Loan.objects.filter(checked_out_at=at(20)):
        services.loan_return(barcode=loan.item.barcode, actor=librarian, branch=central, now=at(21))
    cells, titles = _borrowers()
    totals = _sums()
    retention.expunge(now=AFTER)
    assert _sums() == totals
    kept = CirculationDay.objects.exclude(item_type="").order_by("day")
    book, adult = Item.ItemType.BOOK, Patron.Category.ADULT
    assert [(r.day, r.item_type, r.patron_category, r.checkouts, r.returns) for r in kept] == [
        (datetime.date(2025, 3, 20), book, adult, 5, 0),
        (datetime.date(2025, 3, 21), book, adult, 0, 5),  # their five returns
    ]
    for row in kept:
        key = (row.day, row.branch_id, row.item_type, row.patron_category)
        assert len(cells[key]) >= 5
    # The title five patrons borrowed in March is named; the others are "other titles".
    named = TitleMonth.objects.exclude(title=None)
    assert [(r.title_id, r.checkouts) for r in named] == [(title.pk, 5)]
    assert len(titles[datetime.date(2025, 3, 1), title.pk]) == 5
    # The child's DVD is in Central's month, with the rest of its small cells.
    month = CirculationDay.objects.get(
        day=datetime.date(2025, 3, 1), branch=central, item_type="", patron_category=""
    )
    assert month.checkouts == activity.expected["checkouts"] - 2 + 1  # East's DVDs apart


@override_settings(CALUMET_ANONYMITY_K=1)
def test_k_is_a_setting(activity):
    # Every cell of check-outs or returns had a patron: with k = 1 none is merged. (A
    # day of renewals alone is: no record says who renewed when, so it counts no one.)
    made = CirculationDay.objects.exclude(checkouts=0, returns=0)
    before = sorted(made.values_list("day", "branch", "item_type", "patron_category"))
    retention.expunge(now=AFTER)
    after = sorted(
        CirculationDay.objects.values_list("day", "branch", "item_type", "patron_category")
    )
    assert set(before) <= set(after)
    assert set(after) - set(before) == {(datetime.date(2025, 3, 1), activity.central.pk, "", "")}


def test_a_second_run_adds_to_the_generalised_rows(activity, librarian):
    totals = _sums()
    retention.expunge(now=AFTER)
    card = CardFactory(patron=PatronFactory(home_branch=activity.central))
    item = ItemFactory(branch=activity.central)
    later = AFTER + datetime.timedelta(hours=1)
    services.loan_checkout(
        card_number=card.number, barcode=item.barcode, actor=librarian,
        branch=activity.central, now=later,
    )  # fmt: skip
    services.loan_return(barcode=item.barcode, actor=librarian, branch=activity.central, now=later)
    retention.expunge(now=later + datetime.timedelta(days=1))
    sums = _sums()
    assert sums["checkouts"] == totals["checkouts"] + 1
    assert sums["returns"] == totals["returns"] + 1
    assert not CirculationDay.objects.filter(generalised=False).exists()


def test_a_dry_run_changes_nothing(activity):
    rows = sorted(CirculationDay.objects.values_list("day", "item_type", "checkouts"))
    retention.expunge(now=AFTER, dry_run=True)
    assert sorted(CirculationDay.objects.values_list("day", "item_type", "checkouts")) == rows
