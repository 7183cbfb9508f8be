"""A Saturday afternoon at the portal: many patrons at once, each signing in, opening the
account page, searching the catalog, opening a title, placing a hold on it and
cancelling it again, the history page and renewing, with think time between pages
(docs/performance.md, "Load").

Each simulated patron is a thread with its own browser (cookies, CSRF) and its own card;
all go through gunicorn to PostgreSQL. Reported: pages per second, p50/p95 per page,
errors; and, without think time, the throughput as the number of patrons grows, to find
where it stops growing (the saturation point) and the account pages per second per core.
With think time, desks and kiosks work at the same time (bench/load_side.py); after the
sweep, the account page is profiled in-process (bench/load_profile.py).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from django.db import connection

from bench import data, load_profile, web
from bench.load_side import Side

WORDS = ("river", "garden", "history", "night", "music", "war", "love", "city", "cook", "bird")


def load_cards(count: int) -> list[str]:
    """`count` active cards that sign in with the bench PIN (the bench patron's hash)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.number, p.id FROM patrons_card c JOIN patrons_patron p ON p.id = c.patron_id"
            " WHERE c.status = 'active' AND p.status = 'active' ORDER BY p.id LIMIT %s",
            [count],
        )
        rows = cur.fetchall()
        cur.execute(
            "UPDATE patrons_patron SET pin_hash = (SELECT pin_hash FROM patrons_patron p"
            " JOIN patrons_card c ON c.patron_id = p.id WHERE c.number = %s)"
            " WHERE id = ANY(%s)",
            [data.BENCH_CARD, [row[1] for row in rows]],
        )
    return [row[0] for row in rows]


def title_ids(count: int = 200) -> list[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM circulation_title ORDER BY id LIMIT %s", [count])
        return [row[0] for row in cur.fetchall()]


HOLD_ID = re.compile(rb'name="hold" value="(\d+)"')
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
PICKUP = re.compile(rb'<option value="(\d+)"[^>]* selected>')


def _post(browser: web.Browser, path: str, fields: dict[str, str]) -> tuple[int, str]:
    """Status and where it redirects of one form's POST (fields in the body)."""
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(browser.base + path, data=body, method="POST")  # noqa: S310
    try:
        with browser.opener.open(request, timeout=60) as response:
            response.read()
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, error.headers.get("Location", "")


def place_hold(browser: web.Browser, title_page: bytes, title: int, holds: set[str]):
    """The title page's Place hold form, then the account page it leads to: (status, the
    new hold's id or None if the hold was refused, the account page)."""
    token, pickup = TOKEN.search(title_page), PICKUP.search(title_page)
    if not token:
        return 599, None, b""
    fields = {"title": str(title), "csrfmiddlewaretoken": token.group(1).decode()}
    if pickup:
        fields["pickup_branch"] = pickup.group(1).decode()
    status, where = _post(browser, "/portal/holds/place/", fields)
    if status != 302:
        return status, None, b""
    status, page = browser.get(urllib.parse.urlsplit(where).path or "/portal/")
    placed = {match.decode() for match in HOLD_ID.findall(page)} - holds
    return status, (max(placed, key=int) if placed else None), page


def cancel_hold(browser: web.Browser, account_page: bytes, hold: str) -> int:
    """The account page's Cancel hold button, then the account page again."""
    token = TOKEN.search(account_page)
    if not token:
        return 599
    status, _where = _post(
        browser,
        "/portal/holds/cancel/",
        {"hold": hold, "csrfmiddlewaretoken": token.group(1).decode()},
    )
    if status != 302:
        return status
    return browser.get("/portal/")[0]


def renew(browser: web.Browser) -> int:
    """The account page's Renew button for the first loan on it (a refusal, such as a
    hold waiting for the copy, also answers 302 with its message); 200 with no loan."""
    status, page = browser.get("/portal/")
    loan = re.search(rb'name="loan" value="(\d+)"', page)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not loan or not token:
        return status
    body = urllib.parse.urlencode(
        {"loan": loan.group(1).decode(), "csrfmiddlewaretoken": token.group(1).decode()}
    ).encode()
    request = urllib.request.Request(browser.base + "/portal/renew/", data=body, method="POST")  # noqa: S310
    try:
        with browser.opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Patron(threading.Thread):
    def __init__(self, base, card, titles, think, until, results, lock, seed):
        super().__init__(daemon=True)
        self.base, self.card, self.titles = base, card, titles
        self.think, self.until = think, until
        self.results, self.lock = results, lock
        self.random = random.Random(seed)
        self.holds: set[str] = set()
        self.hold: str | None = None
        self.last_page = b""
        self.refused = 0

    def page(self, name: str, action, *, late: bool = False) -> None:
        """Time one page; once the time is up, none is begun (but a `late` one, the
        cancelling of a hold just placed, so that the data does not drift)."""
        if not late and time.monotonic() >= self.until:
            return
        start = time.perf_counter()
        try:
            status = action()
        except Exception:  # a page that failed to answer is an error of the run
            status = 599
        ms = (time.perf_counter() - start) * 1000
        with self.lock:
            entry = self.results.setdefault(name, {"times": [], "errors": 0})
            if status in (200, 302):
                entry["times"].append(ms)
            else:
                entry["errors"] += 1
        if self.think:
            pause = self.random.uniform(*self.think)
            time.sleep(max(0.0, min(pause, self.until - time.monotonic())))

    def account(self, browser: web.Browser) -> int:
        status, page = browser.get("/portal/")
        self.holds = {match.decode() for match in HOLD_ID.findall(page)}
        return status

    def title_page(self, browser: web.Browser, title: int) -> int:
        status, self.last_page = browser.get(f"/portal/catalog/{title}/")
        return status

    def place_hold(self, browser: web.Browser, title: int) -> int:
        status, self.hold, self.last_page = place_hold(browser, self.last_page, title, self.holds)
        if status == 200 and self.hold is None:
            self.refused += 1  # the title's page said why (the patron has it, say)
        return status

    def cancel_hold(self, browser: web.Browser) -> int:
        hold, self.hold = self.hold, None
        return cancel_hold(browser, self.last_page, hold)

    def run(self) -> None:
        if self.think:  # patrons come in over the first pause, not in the same instant
            time.sleep(self.random.uniform(0, self.think[1]))
        while time.monotonic() < self.until:
            browser = web.Browser(self.base)
            self.page(
                "sign-in",
                lambda browser=browser: browser.post(
                    "/portal/login/", {"card_number": self.card, "pin": data.BENCH_PIN}
                ),
            )
            for _ in range(3):
                if time.monotonic() >= self.until:
                    return
                self.page("account", lambda browser=browser: self.account(browser))
                word = self.random.choice(WORDS)
                self.page(
                    "catalog search",
                    lambda browser=browser, word=word: browser.get(f"/portal/catalog/?q={word}")[0],
                )
                title = self.random.choice(self.titles)
                self.page("title page", lambda b=browser, t=title: self.title_page(b, t))
                self.page("place hold", lambda b=browser, t=title: self.place_hold(b, t))
                if self.hold:
                    self.page("cancel hold", lambda b=browser: self.cancel_hold(b), late=True)
                self.page("history", lambda browser=browser: browser.get("/portal/history/")[0])
                self.page("renew", lambda browser=browser: renew(browser))


def run(
    base: str,
    cards: list[str],
    titles: list[int],
    users: int,
    seconds: float,
    think,
    side: Side | None = None,
):
    results: dict = {}
    lock = threading.Lock()
    if side is not None:  # the desks and kiosks first: the patrons come once they work
        side.start(cards, titles, seconds)
    until = time.monotonic() + seconds
    threads = [
        Patron(base, cards[n % len(cards)], titles, think, until, results, lock, n)
        for n in range(users)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - start
    beside = side.finish() if side is not None else None
    pages = {}
    total = 0
    for name, entry in sorted(results.items()):
        stats = web.percentiles(entry["times"]) if len(entry["times"]) >= 2 else {}
        pages[name] = {**stats, "errors": entry["errors"]}
        total += len(entry["times"])
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        "pages_per_s": round(total / elapsed, 1),
        "errors": sum(entry["errors"] for entry in results.values()),
        "holds_refused": sum(thread.refused for thread in threads),
        "pages": pages,
    } | ({"beside": beside} if beside is not None else {})


def measure(
    base: str,
    *,
    users: int,
    seconds: float,
    think: tuple[float, float],
    side: Side | None = None,
    profile_pages: int = 200,
) -> dict:
    cards = load_cards(max(users, 64))
    titles = title_ids()
    with_think = run(base, cards, titles, users, seconds, think, side)
    # Without think time: more and more patrons until the pages per second stop growing.
    sweep = []
    for count in (1, 2, 4, 8, 16, 32, 64):
        if count > len(cards):
            break
        point = run(base, cards, titles, count, max(seconds / 3, 3), None)
        sweep.append(
            {key: point[key] for key in ("users", "pages_per_s", "errors")}
            | {"account_p95_ms": point["pages"].get("account", {}).get("p95_ms")}
        )
        if len(sweep) >= 2 and point["pages_per_s"] < 1.05 * sweep[-2]["pages_per_s"]:
            break
    best = max(sweep, key=lambda point: point["pages_per_s"]) if sweep else None
    cores = os.cpu_count() or 1
    return {
        "think_time_s": list(think),
        "with_think_time": with_think,
        "saturation": {
            "sweep": sweep,
            "saturates_at_users": best["users"] if best else None,
            "max_pages_per_s": best["pages_per_s"] if best else None,
            "pages_per_s_per_core": round(best["pages_per_s"] / cores, 1) if best else None,
            "cores": cores,
        },
        "account_profile": load_profile.account(cards[0], profile_pages, cores),
    }
