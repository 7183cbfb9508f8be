"""A Saturday afternoon at the portal: many patrons at once, each signing in, opening the
account page, searching the catalog, opening a title, the holds and history pages and
renewing, with think time between pages (docs/performance.md, "Load").

Each simulated patron is a thread with its own browser (cookies, CSRF) and its own card;
all go through gunicorn to PostgreSQL. Reported: pages per second, p50/p95 per page,
errors; and, without think time, the throughput as the number of patrons grows, to find
where it stops growing (the saturation point) and the account pages per second per core.
The desk and kiosk scenarios of the benchmark run on their own (bench/desk.py, kiosk.py);
running them during the load is still to do.
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

from bench import data, web

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

    def page(self, name: str, action) -> None:
        start = time.perf_counter()
        try:
            status = action()
        except Exception:
            status = 599
        ms = (time.perf_counter() - start) * 1000
        with self.lock:
            entry = self.results.setdefault(name, {"times": [], "errors": 0})
            if status in (200, 302):
                entry["times"].append(ms)
            else:
                entry["errors"] += 1
        if self.think:
            time.sleep(self.random.uniform(*self.think))

    def run(self) -> None:
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
                self.page("account", lambda browser=browser: browser.get("/portal/")[0])
                word = self.random.choice(WORDS)
                self.page(
                    "catalog search",
                    lambda browser=browser, word=word: browser.get(f"/portal/catalog/?q={word}")[0],
                )
                title = self.random.choice(self.titles)
                self.page(
                    "title page",
                    lambda browser=browser, title=title: browser.get(f"/portal/catalog/{title}/")[
                        0
                    ],
                )
                self.page("history", lambda browser=browser: browser.get("/portal/history/")[0])
                self.page("renew", lambda browser=browser: renew(browser))


def run(base: str, cards: list[str], titles: list[int], users: int, seconds: float, think):
    results: dict = {}
    lock = threading.Lock()
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
        "pages": pages,
    }


def measure(base: str, *, users: int, seconds: float, think: tuple[float, float]) -> dict:
    cards = load_cards(max(users, 64))
    titles = title_ids()
    with_think = run(base, cards, titles, users, seconds, think)
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
    }
