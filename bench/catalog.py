"""The catalog scenario of the benchmark: keyword searches of two words (and of one), the
catalog home and a title page, by an anonymous visitor, timed through gunicorn; and
misspelt two-word searches, which find nothing and answer "did you mean".

The queries are two words of real titles of the generated catalog, so each finds some
titles (as a patron's search does), drawn the same way on every run; a misspelt query is
one of them with a letter of one word dropped or two letters swapped.

At a consortium's size (1,000,000 titles: `--scale 10`), the catalog alone:
`.venv/bin/python -m bench --scale 10 --only catalog` (docs/performance.md). That run
makes only what the catalog's pages read (`generate`): the branches, the titles and the
copies of the full data set, row for row the same, without patrons, loans or statistics.
"""

from __future__ import annotations

import datetime
import importlib
import random
import urllib.parse

import psycopg
from django.db import connection

from bench import data, web
from bench.sizes import Sizes
from circulation.catalog.search import Filters, search, suggestion
from circulation.models import SearchWord, Title

QUERIES = 60
#: The statements of bench.data's plan the catalog reads (an open loan's copy is marked
#: on loan all the same, so the counts of copies on the shelf are those of the full set).
TABLES = ("branches", "titles", "items")
#: The catalog's word index: its trigger is off while the titles are inserted; the words
#: are then written in one statement (the migration's own) and the index built once.
WORD_TRIGGER = "circulation_title_words"
WORD_INDEX = "title_word_search"


def generate(dsn: str, sizes: Sizes, now: datetime.datetime, *, quiet: bool = False) -> None:
    """Fill an empty, migrated database with the catalog part of the full data set only.
    The titles' words are written by the site's own SQL (the word index migration's fill
    statement, which the trigger runs title by title) in one statement after the titles,
    with the search index made again from its own definition afterwards; then the tables
    are vacuumed and analysed (autovacuum may be off on the server)."""
    plan = [step for step in data.statements(sizes) if step[0] in TABLES]
    fill = importlib.import_module("circulation.migrations.0034_catalog_word_index").FILL
    with psycopg.connect(dsn, autocommit=False) as conn:
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [WORD_INDEX]
        ).fetchone()[0]
        conn.execute(f'DROP INDEX "{WORD_INDEX}"')
        conn.execute(f'ALTER TABLE circulation_title DISABLE TRIGGER "{WORD_TRIGGER}"')
        conn.commit()
        with data.progress(plan, quiet=quiet) as bar:
            data.run(conn, plan, now, bar)
            bar.set_postfix_str("words")
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute(fill)
            conn.execute(index)
        conn.execute(f'ALTER TABLE circulation_title ENABLE TRIGGER "{WORD_TRIGGER}"')
        for table in ("circulation_branch", "circulation_title", "circulation_item"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        conn.execute(
            "VACUUM (ANALYZE) circulation_branch, circulation_title, circulation_item, "
            "circulation_titleword"
        )


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


def misspelt(queries: list[str]) -> list[str]:
    """Each query with its longer word misspelt: a letter dropped or two swapped."""
    rng = random.Random(29)
    out = []
    for query in queries:
        words = query.split()
        n = max(range(len(words)), key=lambda k: len(words[k]))
        word = words[n]
        if len(word) < 5:
            continue
        k = rng.randrange(1, len(word) - 2)
        if rng.random() < 0.5:
            word = word[:k] + word[k + 1 :]
        else:
            word = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
        words[n] = word
        out.append(" ".join(words))
    return out


def fill_search_words() -> int:
    """The words "did you mean" knows: the generated titles are inserted by SQL, which
    Title.save() never sees, so the distinct words of their search text are added here
    as saving them would have added them."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT w FROM circulation_title,"
            " unnest(string_to_array(btrim(search_text), ' ')) AS w"
        )
        found = [row[0] for row in cur.fetchall()]
        SearchWord.add(" ".join(found))
        cur.execute("ANALYZE circulation_searchword")
    return SearchWord.objects.count()


def _timed_each(browser: web.Browser, paths: list[str], rounds: int) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        for path in paths:
            times += browser.timed(path, 1)
    return times


def measure(base: str, requests: int) -> dict:
    fill_search_words()
    two, one = queries()
    wrong = misspelt(two)
    search = [f"/portal/catalog/?{urllib.parse.urlencode({'q': q})}" for q in two]
    typos = [f"/portal/catalog/?{urllib.parse.urlencode({'q': q})}" for q in wrong]
    single = [f"/portal/catalog/?{urllib.parse.urlencode({'q': q})}" for q in one]
    visitor = web.Browser(base)
    _timed_each(visitor, search[:10], 1)  # warm-up: connections, template cache
    rounds = max(1, requests // max(1, len(search)))
    two_words = web.percentiles(_timed_each(visitor, search, rounds))
    one_word = web.percentiles(_timed_each(visitor, single, max(1, rounds // 2)))
    suggested = web.percentiles(_timed_each(visitor, typos, max(1, rounds // 2)))
    home = web.percentiles(visitor.timed("/portal/catalog/", 50))
    title_id = Title.objects.order_by("pk").values_list("pk", flat=True).first()
    title_page = web.percentiles(visitor.timed(f"/portal/catalog/{title_id}/", 50))
    found = _results(two[:20])
    return {
        "titles": Title.objects.count(),
        "two_words": two_words,
        "one_word": one_word,
        "did_you_mean": suggested,
        "did_you_mean_offered": _suggested(wrong[:20]),
        "example_misspelt": wrong[:5],
        "home": home,
        "title_page": title_page,
        "two_word_median_results": sorted(found)[len(found) // 2] if found else 0,
        "example_queries": two[:5],
    }


def _results(queries: list[str]) -> list[int]:
    return [search(q, Filters()).titles.count() for q in queries]


def _suggested(queries: list[str]) -> str:
    """How many of these misspelt queries get a suggestion ("17 of 20")."""
    offered = sum(1 for q in queries if suggestion(q, search(q, Filters()).titles.count()))
    return f"{offered} of {len(queries)}"
