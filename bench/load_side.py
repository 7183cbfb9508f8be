"""The desks and the kiosks that work while the load test's patrons use the portal
(docs/performance.md, "Load"): the same drivers as the desk-page and kiosk scenarios
(bench/desk_page.py, bench/kiosk.py), run in threads beside the patrons for as long as
they work.

Each desk is a clerk's browser at the real check-out and check-in pages (gunicorn, the
same server as the patrons): a patron's card scanned, one copy checked out, "Done", then
the copy scanned in at the check-in page, round after round with the desk's own patrons
and copies. The kiosks are the kiosk scenario's SIP2 sessions against its `sip2server`.
The desks' and kiosks' patrons are not the portal patrons, and their copies are of
titles the portal patrons do not place holds on, so that no hold traps a copy the desk
is lending: every scan and every message must succeed, anything else is an error.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bench import desk, desk_page, kiosk
from bench.web import admin_browser, percentiles
from circulation.models import Item

CARDS_PER_DESK = 20
COPIES_PER_DESK = 5


def material(
    portal_cards: list[str], portal_titles: list[int], branch: int, desks: int, kiosks: int
) -> tuple[list[str], list[str]]:
    """Cards and barcodes for the desks (first) and the kiosks (last): patrons other than
    the portal's, copies of `branch` whose titles are not among `portal_titles`."""
    want_cards = desks * CARDS_PER_DESK + kiosks
    want_items = desks * COPIES_PER_DESK + kiosks
    cards, _ = desk.desk_material(len(portal_cards) + want_cards + 400, 0)
    portal = set(portal_cards)
    cards = [card for card in cards if card not in portal][-want_cards:]
    _, barcodes = desk.desk_material(0, want_items + 2000, branch_id=branch)
    kept = set(
        Item.objects.filter(barcode__in=barcodes)
        .exclude(title_id__in=portal_titles)
        .values_list("barcode", flat=True)
    )
    barcodes = [barcode for barcode in barcodes if barcode in kept][:want_items]
    if len(cards) < want_cards or len(barcodes) < want_items:
        raise RuntimeError("not enough patrons or copies for the desks and kiosks")
    return cards, barcodes


class _DeskWorker(threading.Thread):
    """One desk: warm up, say so, then check out and in until the shared end."""

    def __init__(self, base, clerk, password, branch, cards, barcodes, side) -> None:
        super().__init__(daemon=True)
        self.base, self.clerk, self.password, self.branch = base, clerk, password, branch
        self.cards, self.barcodes, self.side = cards, barcodes, side
        self.ready = threading.Event()
        self.times: dict[str, list[float]] = {"card": [], "item": [], "checkin": []}
        self.errors: dict[str, int] = {}

    def _error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def run(self) -> None:
        try:
            clerk = desk_page.Desk(admin_browser(self.base, self.clerk, self.password))
            clerk.open(desk_page.CHECKOUT)
            clerk.scan(desk_page.CHECKOUT, {"action": "branch", "branch": str(self.branch)})
            clerk.open(desk_page.CHECKIN)
        except (OSError, RuntimeError) as error:
            self._error(f"sign-in: {type(error).__name__}")
            self.ready.set()
            return
        self.ready.set()
        self.side.go.wait()
        turn = 0
        while time.monotonic() < self.side.until:
            card = self.cards[turn % len(self.cards)]
            barcode = self.barcodes[turn % len(self.barcodes)]
            turn += 1
            try:
                self._round(clerk, card, barcode)
            except (OSError, RuntimeError) as error:
                self._error(f"scan: {type(error).__name__}")
                time.sleep(self.side.pause)

    def _round(self, clerk: desk_page.Desk, card: str, barcode: str) -> None:
        pause = self.side.pause
        took, page = clerk.scan(desk_page.CHECKOUT, {"action": "card", "card_number": card})
        self.times["card"].append(took)
        if desk_page.PANEL not in page:
            self._error("card scan opened no patron")
        time.sleep(pause)
        took, page = clerk.scan(desk_page.CHECKOUT, {"action": "item", "barcode": barcode})
        self.times["item"].append(took)
        lent = desk_page.last_line_ok(page)
        if not lent:
            self._error("check-out refused")
        clerk.scan(desk_page.CHECKOUT, {"action": "done"})
        time.sleep(pause)
        if lent:
            clerk.open(desk_page.CHECKIN)
            took, page = clerk.scan(desk_page.CHECKIN, {"action": "scan", "barcode": barcode})
            self.times["checkin"].append(took)
            if not desk_page.last_line_ok(page):
                self._error("check-in refused")
            clerk.scan(desk_page.CHECKIN, {"action": "clear"})
            clerk.open(desk_page.CHECKOUT)
            time.sleep(pause)


class Side:
    """`desks` desks and `kiosks` kiosks, started before the patrons and stopped after."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        base: str,
        sip2_log: Path,
        clerk: str,
        password: str,
        branch: int,
        desks: int,
        kiosks: int,
        pause: float,
    ) -> None:
        self.env, self.base, self.sip2_log = env, base, sip2_log
        self.clerk, self.password, self.branch = clerk, password, branch
        self.desks, self.kiosks, self.pause = desks, kiosks, pause
        self.go = threading.Event()
        self.until = 0.0
        self.workers: list[_DeskWorker] = []
        self.kiosk_thread: threading.Thread | None = None
        self.kiosk_result: dict = {}

    def start(self, portal_cards: list[str], portal_titles: list[int], seconds: float) -> None:
        """Sign the desks and kiosks in; return once all of them are working."""
        cards, barcodes = material(
            portal_cards, portal_titles, self.branch, self.desks, self.kiosks
        )
        kiosk_ready = threading.Event()
        if self.kiosks:
            self.kiosk_thread = threading.Thread(
                target=self._kiosks,
                args=(cards[-self.kiosks :], barcodes[-self.kiosks :], seconds, kiosk_ready),
                daemon=True,
            )
            self.kiosk_thread.start()
        else:
            kiosk_ready.set()
        for n in range(self.desks):
            worker = _DeskWorker(
                self.base,
                self.clerk,
                self.password,
                self.branch,
                cards[n * CARDS_PER_DESK : (n + 1) * CARDS_PER_DESK],
                barcodes[n * COPIES_PER_DESK : (n + 1) * COPIES_PER_DESK],
                self,
            )
            worker.start()
            self.workers.append(worker)
        for worker in self.workers:
            worker.ready.wait(timeout=120)
        kiosk_ready.wait(timeout=180)
        self.until = time.monotonic() + seconds
        self.go.set()

    def _kiosks(self, cards, barcodes, seconds, ready) -> None:
        try:
            self.kiosk_result = kiosk.measure(
                self.env,
                self.sip2_log,
                cards,
                barcodes,
                branch=self.branch,
                sessions=self.kiosks,
                seconds=seconds,
                pause=self.pause,
                ready=ready,
            )
        except Exception as error:  # reported as an error of the load test, not a crash
            self.kiosk_result = {"errors": 1, "error_kinds": {type(error).__name__: 1}}
        finally:
            ready.set()

    def finish(self) -> dict:
        for worker in self.workers:
            worker.join(timeout=120)
        if self.kiosk_thread is not None:
            self.kiosk_thread.join(timeout=300)
        times = {
            kind: [t for w in self.workers for t in w.times[kind]]
            for kind in ("card", "item", "checkin")
        }
        errors: dict[str, int] = {}
        for worker in self.workers:
            for what, count in worker.errors.items():
                errors[what] = errors.get(what, 0) + count
        every = [took for kind in times.values() for took in kind]
        desks = {
            "desks": self.desks,
            "pause_s": self.pause,
            "scans": len(every),
            "errors": sum(errors.values()),
            "error_kinds": errors,
            "all_scans": percentiles(every) if len(every) >= 2 else None,
            "by_scan": {
                kind: percentiles(found) if len(found) >= 2 else None
                for kind, found in times.items()
            },
        }
        return {"desks": desks, "kiosks": self.kiosk_result}
