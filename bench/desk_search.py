"""The desk's patron search: a clerk finds a patron who has no card with them, on the real
check-out page through gunicorn (the form's POST, whose answer lists the patrons found).

The searches are what a clerk types: a surname, a given name and the start of a surname
in either order, a surname typed with an accent, two surnames, a phone number in another
format than the one kept, and its last seven digits; drawn from the generated patrons the
same way on every run, so that each finds someone. Before measuring, the bench checks that
the search keys it generated in SQL are those `Patron.save()` writes."""

from __future__ import annotations

import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from bench.web import Browser, admin_browser, percentiles
from patrons.models import Patron
from patrons.search_key import search_key

CHECKOUT = "/admin/circulation/checkout/"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
FOUND = re.compile(rb'name="patron"')
PATRONS = 40  # patrons drawn, each giving one search of every kind
# A surname typed with an accent, as a clerk reading an ID may: "García" for Garcia.
ACCENTED = {"garcia": "García", "martinez": "Martínez", "hernandez": "Hernández",
            "lopez": "López", "gonzalez": "González", "perez": "Pérez", "sanchez": "Sánchez",
            "ramirez": "Ramírez", "gomez": "Gómez", "diaz": "Díaz", "jimenez": "Jiménez",
            "alvarez": "Álvarez", "gutierrez": "Gutiérrez", "chavez": "Chávez",
            "rodriguez": "Rodríguez", "ruiz": "Ruíz"}  # fmt: skip


def searches(count: int = PATRONS) -> dict[str, list[str]]:
    """Queries by kind, from patrons spread over the table."""
    total = Patron.objects.count()
    rng = random.Random(27)
    picks = sorted(rng.sample(range(1, total + 1), min(count, total)))
    kinds: dict[str, list[str]] = {
        "surname": [],
        "given_and_start_of_surname": [],
        "accented_surname": [],
        "two_surnames": [],
        "phone_other_format": [],
        "phone_last_seven": [],
    }
    for patron in Patron.objects.filter(pk__in=picks).order_by("pk"):
        expected = search_key(
            first_name=patron.first_name, last_name=patron.last_name, phone=patron.phone
        )
        if patron.search_key != expected:
            raise RuntimeError(
                f"bench/data.py wrote the search key of patron #{patron.pk} unlike "
                "Patron.save(): fix its SQL"
            )
        surnames = patron.last_name.split()
        given = patron.first_name.split()[0]
        kinds["surname"].append(surnames[0])
        kinds["given_and_start_of_surname"].append(f"{surnames[-1][:4].lower()} {given}")
        kinds["accented_surname"].append(
            f"{ACCENTED.get(surnames[0].lower(), surnames[0]).upper()} {given}"
        )
        if len(surnames) > 1:
            kinds["two_surnames"].append(" ".join(surnames))
        phone = "".join(ch for ch in patron.phone if ch.isdigit())
        if phone:
            kinds["phone_other_format"].append(f"{phone[:3]}.{phone[3:6]}.{phone[6:]}")
            kinds["phone_last_seven"].append(phone[-7:])
    return {kind: queries for kind, queries in kinds.items() if queries}


def _find(browser: Browser, token: bytes, query: str) -> tuple[float, int, bytes]:
    """(milliseconds, patrons listed, the next CSRF token) of one search."""
    body = urllib.parse.urlencode(
        {"action": "find", "query": query, "csrfmiddlewaretoken": token.decode()}
    ).encode()
    request = urllib.request.Request(browser.base + CHECKOUT, data=body, method="POST")  # noqa: S310
    start = time.perf_counter()
    try:
        with browser.opener.open(request, timeout=60) as response:
            status, page = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, page = error.code, error.read()
    took = (time.perf_counter() - start) * 1000
    if status != 200:
        raise RuntimeError(f"the patron search answered {status}")
    match = TOKEN.search(page)
    if not match:
        raise RuntimeError("no form on the page the search answered")
    return took, len(FOUND.findall(page)), match.group(1)


def measure(base: str, clerk: str, password: str, branch: int, rounds: int = 3) -> dict:
    """Every query of every kind, `rounds` times (interleaved), after a warm-up."""
    kinds = searches()
    browser = admin_browser(base, clerk, password)
    status, page = browser.get(CHECKOUT)
    if status != 200:
        raise RuntimeError(f"GET {CHECKOUT} answered {status}")
    token = TOKEN.search(page).group(1)
    status = browser.post(CHECKOUT, {"action": "branch", "branch": str(branch)})
    if status != 302:
        raise RuntimeError(f"choosing the branch answered {status}")
    token = TOKEN.search(browser.get(CHECKOUT)[1]).group(1)
    for query in [queries[0] for queries in kinds.values()] * 2:  # warm-up
        _took, _found, token = _find(browser, token, query)
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    found: dict[str, list[int]] = {kind: [] for kind in kinds}
    for _ in range(rounds):
        for index in range(max(len(q) for q in kinds.values())):
            for kind, queries in kinds.items():
                if index < len(queries):
                    took, listed, token = _find(browser, token, queries[index])
                    times[kind].append(took)
                    found[kind].append(listed)
    every = [t for kind_times in times.values() for t in kind_times]
    return {
        "patrons": Patron.objects.count(),
        "all": percentiles(every),
        "by_kind": {kind: percentiles(kind_times) for kind, kind_times in times.items()},
        "median_found": {kind: sorted(counts)[len(counts) // 2] for kind, counts in found.items()},
        "found_none": sum(1 for counts in found.values() for n in counts if n == 0),
        "example_queries": {kind: queries[:2] for kind, queries in kinds.items()},
    }
