"""The shelf check: what a session's report finds, scanning and uploading (a barcode
counted once, a file with junk refused whole), closing, and the desk's check-in from the
report, which names no patron."""

from __future__ import annotations

import pytest
from django.db import models

from circulation.models import Item, Loan
from inventory import selectors, services
from inventory.barcodes import MAX_FILE_MB
from inventory.exceptions import InventoryRefusal
from inventory.models import InventoryScan, InventorySession
from tests.inventory.conftest import copy

pytestmark = pytest.mark.django_db


def _scan_all(shelf, clerk):
    for barcode in shelf.scanned:
        services.inventory_scan(session=shelf.session, barcode=barcode, actor=clerk)


def _barcodes(lines):
    return [line.barcode for line in lines]


def test_the_report_finds_every_kind_of_discrepancy(shelf, clerk):
    _scan_all(shelf, clerk)
    report = selectors.report(shelf.session)
    assert report.expected == 3  # on the shelf, missing, missing at the end of the range
    assert report.found == 1
    assert _barcodes(report.missing) == [shelf.missing.barcode, shelf.missing_at_the_end.barcode]
    assert {line.barcode: line.status for line in report.recorded_otherwise} == {
        shelf.on_loan.barcode: Item.Status.ON_LOAN,
        shelf.in_transit.barcode: Item.Status.IN_TRANSIT,
        shelf.lost.barcode: Item.Status.LOST,
    }
    assert _barcodes(report.wrong_branch) == [shelf.other_branch.barcode]
    assert report.wrong_branch[0].branch == "East Side Branch"
    assert _barcodes(report.out_of_range) == [shelf.misshelved.barcode]
    assert report.unknown == [shelf.unknown]
    assert report.scanned == 7


def test_a_collection_narrows_what_is_expected(branch, clerk):
    book = copy(branch, "500 BOO", "A book")
    copy(branch, "500 DVD", "A film", item_type=Item.ItemType.DVD)
    session = services.inventory_start(branch=branch, item_type="book", actor=clerk)
    assert _barcodes(selectors.report(session).missing) == [book.barcode]


def test_a_barcode_scanned_twice_is_counted_once(shelf, clerk):
    first, created = services.inventory_scan(
        session=shelf.session, barcode=f" {shelf.on_shelf.barcode} ", actor=clerk
    )
    again, created_again = services.inventory_scan(
        session=shelf.session, barcode=shelf.on_shelf.barcode, actor=clerk
    )
    assert created and not created_again and first.pk == again.pk
    new, repeated = services.inventory_upload(
        session=shelf.session,
        content=f"barcode\n{shelf.on_shelf.barcode}\n{shelf.missing.barcode}\n"
        f"{shelf.missing.barcode}\n".encode(),
        actor=clerk,
    )
    assert (new, repeated) == (1, 2)
    assert InventoryScan.objects.filter(session=shelf.session).count() == 2
    assert selectors.report(shelf.session).found == 2


def test_an_upload_takes_a_csv_whose_first_column_is_the_barcode(shelf, clerk):
    content = (
        "\ufeffBarcode,Shelf\r\n"
        f'"{shelf.on_shelf.barcode}",A1\r\n\r\n{shelf.other_branch.barcode};A2\r\n'
    ).encode()
    assert services.inventory_upload(session=shelf.session, content=content, actor=clerk) == (
        2,
        0,
    )
    report = selectors.report(shelf.session)
    assert report.found == 1 and _barcodes(report.wrong_branch) == [shelf.other_branch.barcode]


def test_a_file_with_junk_lines_is_refused_whole_with_their_numbers(shelf, clerk, refused):
    content = f"{shelf.on_shelf.barcode}\nhello world\n{shelf.lost.barcode}\n=SUM(A1)\n".encode()
    message = refused(
        lambda: services.inventory_upload(session=shelf.session, content=content, actor=clerk),
        code=InventoryRefusal.JUNK_LINES,
    )
    assert "2 line(s)" in message and "line 2, 4" in message
    assert "Nothing was saved" in message


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\xff\xfe\x00b\x00a", InventoryRefusal.NOT_TEXT),
        (b"\n\n  \n", InventoryRefusal.EMPTY_FILE),
        (b"1\n" * (MAX_FILE_MB * 512 * 1024 + 1), InventoryRefusal.FILE_TOO_LARGE),
    ],
)
def test_a_file_that_is_not_barcodes_is_refused(shelf, clerk, refused, content, code):
    refused(
        lambda: services.inventory_upload(session=shelf.session, content=content, actor=clerk),
        code=code,
    )


def test_a_bad_barcode_or_range_is_refused(shelf, branch, clerk, refused):
    refused(
        lambda: services.inventory_scan(session=shelf.session, barcode="two words", actor=clerk),
        code=InventoryRefusal.BARCODE,
    )
    refused(
        lambda: services.inventory_start(
            branch=branch, call_number_from="700", call_number_to="600", actor=clerk
        ),
        code=InventoryRefusal.RANGE,
    )


def test_a_closed_inventory_takes_no_more_scans_and_keeps_its_report(shelf, clerk, refused):
    _scan_all(shelf, clerk)
    session = services.inventory_close(session=shelf.session, actor=clerk)
    assert session.status == InventorySession.Status.CLOSED and session.closed_on
    refused(
        lambda: services.inventory_scan(
            session=session, barcode=shelf.missing.barcode, actor=clerk
        ),
        code=InventoryRefusal.CLOSED,
    )
    assert _barcodes(selectors.report(session).missing) == [
        shelf.missing.barcode,
        shelf.missing_at_the_end.barcode,
    ]


def test_check_in_from_the_report_ends_the_loan_and_receives_the_transit(shelf, clerk, now):
    _scan_all(shelf, clerk)
    result = services.inventory_check_in(session=shelf.session, item=shelf.on_loan, actor=clerk)
    assert result.loan is not None
    assert Loan.objects.get(pk=shelf.loan.pk).returned_at is not None
    services.inventory_check_in(session=shelf.session, item=shelf.in_transit, actor=clerk)
    services.inventory_check_in(session=shelf.session, item=shelf.lost, actor=clerk)
    for item in (shelf.on_loan, shelf.in_transit, shelf.lost):
        item.refresh_from_db()
        assert item.status == Item.Status.AVAILABLE, item.barcode
    assert selectors.report(shelf.session).recorded_otherwise == []


def test_check_in_only_for_a_copy_scanned_in_the_session(shelf, clerk, refused):
    refused(
        lambda: services.inventory_check_in(session=shelf.session, item=shelf.on_loan, actor=clerk),
        code=InventoryRefusal.NOT_IN_SESSION,
    )


def test_inventory_keeps_days_not_moments_and_no_link_to_a_loan_or_patron():
    """A scan's day cannot be joined to the moment a loan ended (a check-in from the
    report) to name its borrower: the inventory's tables keep no time of day."""
    for model in (InventorySession, InventoryScan):
        for field in model._meta.concrete_fields:
            assert not isinstance(field, models.DateTimeField), (model.__name__, field.name)
            if field.is_relation:
                assert field.related_model.__name__ not in ("Loan", "Patron", "Card", "Hold")
    assert isinstance(InventoryScan._meta.get_field("scanned_on"), models.DateField)
