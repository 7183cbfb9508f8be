"""The shelf check's staff pages: start, scan (a form that works without JavaScript),
upload (junk refused with its line numbers), check in from the report, close, the
printable report and the CSV. No page names a patron."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from circulation import services
from circulation.models import Hold, Item, Loan
from inventory.models import InventoryScan, InventorySession
from tests.factories import CardFactory, PatronFactory
from tests.inventory.conftest import copy

pytestmark = pytest.mark.django_db

START = reverse("admin:inventory_inventory")


def _url(name, session):
    return f"{reverse(f'admin:inventory_inventory_{name}')}?session={session.pk}"


def _post(client, session, **data):
    return client.post(_url("session", session), {"session": session.pk, **data}, follow=True)


def _scan_all(client, shelf):
    for barcode in shelf.scanned:
        _post(client, shelf.session, action="scan", barcode=barcode)


def test_a_clerk_starts_an_inventory_and_scans_a_shelf(clerk_client, branch):
    shelved = copy(branch, "641.5 SMI", "Cooking on the shelf")
    response = clerk_client.post(
        START,
        {
            "action": "start",
            "branch": branch.pk,
            "call_number_from": "600",
            "call_number_to": "699",
        },
        follow=True,
    )
    session = InventorySession.objects.get()
    assert response.redirect_chain[-1][0] == _url("session", session)
    page = response.content.decode()
    assert "autofocus" in page and "0 of 1 expected copy found" in page
    response = _post(clerk_client, session, action="scan", barcode=shelved.barcode)
    assert f"{shelved.barcode} Cooking on the shelf: on the shelf." in response.content.decode()
    assert "1 of 1 expected copy found" in response.content.decode()
    assert session.started_by is not None


def test_the_page_lists_every_kind_and_never_the_borrower(clerk_client, shelf, patron, card):
    _scan_all(clerk_client, shelf)
    page = clerk_client.get(_url("session", shelf.session)).content.decode()
    for heading in (
        "On the shelf but recorded otherwise (3)",
        "Belongs to another branch (1)",
        "Outside the range (misshelved) (1)",
        "Unknown barcodes (1)",
        "Missing: expected on the shelf, not scanned (2)",
    ):
        assert heading in page
    for barcode in (shelf.missing.barcode, shelf.on_loan.barcode, shelf.unknown):
        assert barcode in page
    assert (
        patron.last_name not in page and card.number not in page and card.masked_number not in page
    )


def test_scanning_a_misshelved_copy_says_so(clerk_client, shelf):
    response = _post(clerk_client, shelf.session, action="scan", barcode=shelf.misshelved.barcode)
    assert "outside this inventory&#x27;s range: misshelved?" in response.content.decode()


def test_scanning_a_copy_on_loan_says_so(clerk_client, shelf):
    response = _post(clerk_client, shelf.session, action="scan", barcode=shelf.on_loan.barcode)
    assert "recorded as on loan" in response.content.decode()
    response = _post(clerk_client, shelf.session, action="scan", barcode=shelf.on_loan.barcode)
    assert "already scanned (counted once)" in response.content.decode()
    assert InventoryScan.objects.count() == 1


def test_an_upload_with_junk_lines_names_them_and_saves_nothing(clerk_client, shelf):
    junk = SimpleUploadedFile(
        "shelf.txt", f"{shelf.on_shelf.barcode}\n\n<script>\n{shelf.lost.barcode}\n".encode()
    )
    response = _post(clerk_client, shelf.session, action="upload", file=junk)
    page = response.content.decode()
    assert "1 line(s) of the file are not barcodes (line 3)" in page
    assert InventoryScan.objects.count() == 0
    good = SimpleUploadedFile(
        "shelf.csv", "\n".join([*shelf.scanned, shelf.on_shelf.barcode]).encode()
    )
    response = _post(clerk_client, shelf.session, action="upload", file=good)
    assert "7 barcode(s) recorded; 1 already scanned or repeated." in response.content.decode()


def test_check_in_from_the_report_ends_the_loan(clerk_client, shelf, card):
    _scan_all(clerk_client, shelf)
    response = _post(clerk_client, shelf.session, action="check_in", item=shelf.on_loan.pk)
    page = response.content.decode()
    assert f"{shelf.on_loan.barcode} checked in: returned" in page
    assert card.masked_number not in page
    assert Loan.objects.get(pk=shelf.loan.pk).returned_at is not None
    assert Item.objects.get(pk=shelf.on_loan.pk).status == Item.Status.AVAILABLE
    assert "On the shelf but recorded otherwise (2)" in page


def test_closing_ends_scanning(clerk_client, shelf):
    page = _post(clerk_client, shelf.session, action="close").content.decode()
    assert "Inventory closed" in page and 'name="barcode"' not in page
    page = _post(clerk_client, shelf.session, action="scan", barcode="123").content.decode()
    assert "This inventory is closed" in page
    assert not InventoryScan.objects.exists()


def test_the_printable_report_has_every_missing_copy_and_no_forms(clerk_client, shelf):
    _scan_all(clerk_client, shelf)
    page = clerk_client.get(_url("report", shelf.session)).content.decode()
    assert shelf.missing.barcode in page and shelf.missing_at_the_end.barcode in page
    assert "data-print" in page and 'name="action"' not in page


def test_the_csv_lists_the_findings_safe_for_a_spreadsheet(clerk_client, shelf, branch):
    shelf.on_shelf.title.title = "=HYPERLINK(1)"
    shelf.on_shelf.title.save()
    shelf.missing.title.title = "=HYPERLINK(1)"
    shelf.missing.title.save()
    _scan_all(clerk_client, shelf)
    response = clerk_client.get(_url("csv", shelf.session))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    findings = {(row[0], row[1]) for row in rows[1:]}
    assert ("missing", shelf.missing.barcode) in findings
    assert ("recorded otherwise", shelf.on_loan.barcode) in findings
    assert ("wrong branch", shelf.other_branch.barcode) in findings
    assert ("out of range", shelf.misshelved.barcode) in findings
    assert ("unknown barcode", shelf.unknown) in findings
    assert ["missing", shelf.missing.barcode, "'=HYPERLINK(1)"] == rows[1][:3]


def test_staff_without_the_permission_are_turned_away(client, roleless, shelf):
    client.force_login(roleless)
    assert client.get(START).status_code == 403
    assert client.get(_url("session", shelf.session)).status_code == 403


def test_a_session_that_does_not_exist_sends_back_to_the_list(clerk_client):
    for query in ("?session=999", "?session=x", ""):
        for name in ("session", "report", "csv"):
            url = f"{reverse(f'admin:inventory_inventory_{name}')}{query}"
            response = clerk_client.get(url, follow=True)
            assert response.redirect_chain[-1][0] == START
            assert "No such inventory" in response.content.decode()


def test_a_bad_start_is_refused_with_a_reason(clerk_client, branch):
    page = clerk_client.post(
        START,
        {"action": "start", "branch": branch.pk, "call_number_from": "9", "call_number_to": "1"},
        follow=True,
    ).content.decode()
    assert "The end of the call number range comes before its start." in page
    assert not InventorySession.objects.exists()
    page = clerk_client.post(
        START, {"action": "start", "branch": "nope"}, follow=True
    ).content.decode()
    assert "Choose a branch" in page


def test_a_copy_a_hold_waits_for_says_so_and_names_no_one(clerk_client, shelf, branch, now):
    waiting = CardFactory(
        number="21234567890002",
        patron=PatronFactory(home_branch=branch, last_name="Holdwaiter"),
    )
    services.hold_place(
        patron=waiting.patron,
        title=shelf.on_loan.title,
        pickup_branch=branch,
        actor=clerk_client.user,
    )
    _post(clerk_client, shelf.session, action="scan", barcode=shelf.on_loan.barcode)
    page = _post(
        clerk_client, shelf.session, action="check_in", item=shelf.on_loan.pk
    ).content.decode()
    assert "it fills a hold: put it on the hold shelf" in page
    assert "Holdwaiter" not in page and waiting.masked_number not in page
    assert Hold.objects.get(patron=waiting.patron).status == Hold.Status.WAITING


def test_clerks_see_every_inventory_in_the_staff_list(clerk_client, shelf):
    response = clerk_client.get(reverse("admin:inventory_inventorysession_changelist"))
    assert response.status_code == 200
    assert _url("session", shelf.session).replace("&", "&amp;") in response.content.decode()
