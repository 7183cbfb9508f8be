"""The catalog scenario of the benchmark: keyword searches of two words (and of one), the
catalog home and a title page, by an anonymous visitor, timed through gunicorn.

The queries are two words of real titles of the generated catalog, so each finds some
titles (as a patron's search does), drawn the same way on every run.
"""

from __future__ import annotations

import random
import urllib.parse

from bench import web
from circulation.catalog.search import Filters, search
from circulation.models import Title

QUERIES = 60


def queries(count: int = QUERIES) -> tuple[list[str], list[str]]:
    """(two-word queries, one-word queries) taken from titles spread over the catalog."""
    total = Title.objects.count()
    rng = random.Random(18)
    picks = sorted(rng.sample(range(1, total + 1), min(count, total)))
    titles = dict(Title.objects.filter(pk__in=picks).values_list("pk", "title"))
    two, one = [], []
    for pk in picks:
        words = titles.get(pk, "").lower().split()
        if len(words) >= 2:
            a, b = rng.sample(words, 2)
            two.append(f"{b} {a}")  # in another order than the title's
            one.append(a)
    return two, one


def _timed_each(browser: web.Browser, paths: list[str], rounds: int) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        for path in paths:
            times += browser.timed(path, 1)
    return times


def measure(base: str, requests: int) -> dict:
    two, one = queries()
    search = [f"/portal/catalog/?{urllib.parse.urlencode({'q': q})}" for q in two]
    single = [f"/portal/catalog/?{urllib.parse.urlencode({'q': q})}" for q in one]
    visitor = web.Browser(base)
    _timed_each(visitor, search[:10], 1)  # warm-up: connections, template cache
    rounds = max(1, requests // max(1, len(search)))
    two_words = web.percentiles(_timed_each(visitor, search, rounds))
    one_word = web.percentiles(_timed_each(visitor, single, max(1, rounds // 2)))
    home = web.percentiles(visitor.timed("/portal/catalog/", 50))
    title_id = Title.objects.order_by("pk").values_list("pk", flat=True).first()
    title_page = web.percentiles(visitor.timed(f"/portal/catalog/{title_id}/", 50))
    found = _results(two[:20])
    return {
        "titles": Title.objects.count(),
        "two_words": two_words,
        "one_word": one_word,
        "home": home,
        "title_page": title_page,
        "two_word_median_results": sorted(found)[len(found) // 2] if found else 0,
        "example_queries": two[:5],
    }


def _results(queries: list[str]) -> list[int]:
    return [search(q, Filters()).titles.count() for q in queries]
