"""The desk as a clerk uses it: the real check-out and check-in pages of the staff site,
through gunicorn, signed in as a circulation clerk.

A scan is what the clerk waits for after pressing Enter: the form's POST and the page
its redirect leads to (the browser follows it), which shows the patron panel and the
scan's line. The card scan opens a patron (at a million loans, with their current
loans, holds and sign-ups on the panel); each item scan checks one copy out to them;
at the check-in page each returned copy is scanned in. The query counts of one scan of
each kind are counted in-process, for a patron with 40 loans and one with none, and
must be the same (a page that grows with the patron's record or the tables is slow at
a large library's size)."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

from bench.web import Browser, admin_browser, percentiles
from circulation.models import Loan

CHECKOUT = "/admin/circulation/checkout/"
CHECKIN = "/admin/circulation/checkin/"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
LINE = re.compile(rb'<tr class="(ok|refused)">')
PANEL = b'id="patron-heading"'


class Desk:
    """One clerk's browser at the desk pages: each scan posts the form of the page shown
    with that page's CSRF token, and follows the redirect."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.token = b""

    def open(self, path: str) -> bytes:
        status, page = self.browser.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        self._keep_token(page)
        return page

    def _keep_token(self, page: bytes) -> None:
        match = TOKEN.search(page)
        if not match:
            raise RuntimeError("no form on the desk page")
        self.token = match.group(1)

    def scan(self, path: str, fields: dict[str, str]) -> tuple[float, bytes]:
        """(milliseconds, the page shown afterwards) of one scan at `path`."""
        body = urllib.parse.urlencode(
            {**fields, "csrfmiddlewaretoken": self.token.decode()}
        ).encode()
        request = urllib.request.Request(self.browser.base + path, data=body, method="POST")  # noqa: S310
        start = time.perf_counter()
        try:
            with self.browser.opener.open(request, timeout=60) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            error.read()
        if status != 302:
            raise RuntimeError(f"POST {path} answered {status}")
        status, page = self.browser.get(path)
        took = (time.perf_counter() - start) * 1000
        if status != 200:
            raise RuntimeError(f"GET {path} after a scan answered {status}")
        self._keep_token(page)
        return took, page


def last_line_ok(page: bytes) -> bool:
    match = LINE.search(page)
    return bool(match) and match.group(1) == b"ok"


def measure(
    base: str,
    clerk: str,
    password: str,
    cards: list[str],
    barcodes: list[str],
    per_patron: int,
    branch: int,
) -> dict:
    """Working at `branch` (the copies' own), serve each patron in turn (card scan,
    `per_patron` item scans, "Done"), then scan every copy in at the check-in page.
    Every scan must succeed."""
    desk = Desk(admin_browser(base, clerk, password))
    card_ms, item_ms, checkin_ms = [], [], []
    refused = 0
    desk.open(CHECKOUT)
    desk.scan(CHECKOUT, {"action": "branch", "branch": str(branch)})
    # Warm-up: the first requests of each gunicorn worker load templates and connect.
    for _ in range(4):
        desk.open(CHECKOUT)
        desk.open(CHECKIN)
    desk.open(CHECKOUT)
    lent: list[str] = []
    copies = iter(barcodes)
    for card in cards:
        took, page = desk.scan(CHECKOUT, {"action": "card", "card_number": card})
        if PANEL not in page:
            raise RuntimeError("the card scan opened no patron")
        card_ms.append(took)
        for _ in range(per_patron):
            barcode = next(copies, None)
            if barcode is None:
                break
            took, page = desk.scan(CHECKOUT, {"action": "item", "barcode": barcode})
            item_ms.append(took)
            if last_line_ok(page):
                lent.append(barcode)
            else:
                refused += 1
        desk.scan(CHECKOUT, {"action": "done"})
    desk.open(CHECKIN)
    not_back = 0
    for barcode in lent:
        took, page = desk.scan(CHECKIN, {"action": "scan", "barcode": barcode})
        checkin_ms.append(took)
        if not last_line_ok(page):
            not_back += 1
    desk.scan(CHECKIN, {"action": "clear"})
    return {
        "patrons": len(card_ms),
        "card_scan": percentiles(card_ms),
        "item_scan": percentiles(item_ms),
        "checkin_scan": percentiles(checkin_ms) if len(checkin_ms) > 1 else None,
        "checkouts_refused": refused,
        "checkins_refused": not_back,
    }


def _queries(client: Client, path: str, fields: dict[str, str]) -> int:
    """Queries of one scan: the POST and the page it redirects to."""
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, fields)
        if response.status_code != 302:
            raise RuntimeError(f"POST {path} answered {response.status_code} in-process")
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code} in-process")
    return len(queries)


def _scan_counts(
    clerk: str, many_card: str, few_card: str, barcodes: list[str], branch: int
) -> dict:
    """Queries of each kind of scan once the desk runs (the statistics rows of the day and
    the titles exist, the caches are warm): the card scan of a patron with many loans and
    of one with few, and two item scans and two check-in scans one loan apart."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=clerk))
    first, second = barcodes[:2]
    for path in (CHECKOUT, CHECKIN):
        client.get(path)
    client.post(CHECKOUT, {"action": "branch", "branch": str(branch)})
    # Each card scanned once before: the counted scan is the second within the access
    # log's repeat window (the first writes the patron's access entry).
    _queries(client, CHECKOUT, {"action": "card", "card_number": many_card})
    many = _queries(client, CHECKOUT, {"action": "card", "card_number": many_card})
    _queries(client, CHECKOUT, {"action": "card", "card_number": few_card})
    for barcode in (first, second):  # warm-up: the day's and the titles' counters exist
        _queries(client, CHECKOUT, {"action": "item", "barcode": barcode})
    for barcode in (first, second):
        _queries(client, CHECKIN, {"action": "scan", "barcode": barcode})
    counts = {
        "card_scan_many_loans": many,
        "card_scan": _queries(client, CHECKOUT, {"action": "card", "card_number": few_card}),
        "item_scan": _queries(client, CHECKOUT, {"action": "item", "barcode": first}),
        "item_scan_one_loan_more": _queries(
            client, CHECKOUT, {"action": "item", "barcode": second}
        ),
        "checkin_scan": _queries(client, CHECKIN, {"action": "scan", "barcode": first}),
        "checkin_scan_one_loan_less": _queries(
            client, CHECKIN, {"action": "scan", "barcode": second}
        ),
    }
    client.post(CHECKOUT, {"action": "done"})
    return counts


def query_counts(
    clerk: str, many_card: str, few_card: str, barcodes: list[str], branch: int
) -> dict:
    """The queries of each kind of scan: they must not grow with the patron's loans."""

    def loans(card: str) -> int:
        return Loan.objects.filter(patron__cards__number=card, returned_at__isnull=True).count()

    setup_test_environment()
    try:
        counts = _scan_counts(clerk, many_card, few_card, barcodes, branch)
    finally:
        teardown_test_environment()
    return {
        "many_loans": loans(many_card),
        "few_loans": loans(few_card),
        "queries": counts,
        "constant": counts["card_scan_many_loans"] == counts["card_scan"]
        and counts["item_scan"] == counts["item_scan_one_loan_more"]
        and counts["checkin_scan"] == counts["checkin_scan_one_loan_less"],
    }
