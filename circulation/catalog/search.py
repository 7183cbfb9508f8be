"""The catalog's keyword search: which titles match, in what order, and the facet counts.

Every word of the query must be found, in any order, in a title's title, author,
subjects, series or ISBN; accents and case do not matter and a word also finds longer
words it begins ("marq" finds "Márquez"). Both sides are folded the same way in Python
(`catalog_text.fold`): `Title.search_text` holds the folded words, kept current on save.

- PostgreSQL: the catalog's word index (`word_index.py`): the search text stemmed in
  English and also kept whole, so "prejudices" finds "prejudice" and Spanish words are
  found as typed; one index range per word, intersected; ranked by how many of the words
  are the title's own. The counts, facets and first pages come from one statement.
- SQLite: each word must start a word of `search_text` (LIKE ' word%'); ranked by how
  many of the words are in the title.

A query that is an ISBN (10 or 13 digits, hyphens allowed, valid) finds the book by its
ISBN-13, whichever of the two forms is typed.

"Did you mean" (`suggestion`): when a search finds fewer than SUGGEST_BELOW titles, each
word of the query that starts no word of the catalog (`SearchWord`) is replaced by the
closest word that does — on PostgreSQL the words most alike by trigrams (pg_trgm, under a
GIN index), on both databases the words spelt as they sound (`core.text.sound_key`), and
on SQLite words of about the same length with the same first letter — scored by
`difflib`. The suggestion is offered only if it finds more titles than the query did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Length
from django.utils.translation import gettext_lazy as _

from circulation.catalog import word_index
from circulation.catalog.facets import (
    Facet,
    facets,
    facets_of_counts,
    facets_of_rows,
    on_the_shelf_by_branch,
)
from circulation.catalog.filters import Filters
from circulation.models import Item, SearchWord, Title
from core.text import isbn13, sound_key, words

MAX_WORDS = 12  # more words than this add nothing but cost
MAX_PASS = 50_000  # found titles counted from one pass of the search; more: counted in SQL
SUGGEST_BELOW = 3  # a search finding fewer titles than this gets a "did you mean"
SUGGEST_SCORE = 0.6  # how alike (difflib's ratio, 0 to 1) a suggested word must be

SORTS = {
    "relevance": _("Relevance"),
    "title": _("Title"),
    "author": _("Author"),
    "newest": _("Newest"),
}


@dataclass
class Search:
    titles: QuerySet | InOrder
    words: list[str]
    isbn: str = ""
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    count: int | None = None  # how many were found, when already known
    ids: Sequence[int] | None = None  # the ids found, in the order of `titles`, when known

    def listing(self, *deferred: str) -> QuerySet | InOrder:
        """The titles in order, for the result pages, without the fields named: read a page
        at a time by id when the ids are known (no second search)."""
        if self.ids is None:
            return self.titles.defer(*deferred)
        return InOrder(self.ids, copy_counts(Title.objects.defer(*deferred)))


def keyword_match(query: str) -> tuple[QuerySet, list[str], str]:
    """(titles matching the query, ranked in `rank`; its folded words; its ISBN-13 if the
    query is an ISBN)."""
    terms, found = query_words(query)
    if found:
        compact = re.sub(r"[\s-]", "", query)
        titles = Title.objects.filter(Q(isbn13=found) | Q(isbn=compact.upper()))
        return titles.annotate(rank=Value(1.0, output_field=FloatField())), [], found
    if not terms:
        return Title.objects.none().annotate(rank=Value(0.0)), [], ""
    if connection.vendor == "postgresql":
        return _postgres(terms), terms, ""
    return _fallback(terms), terms, ""


def query_words(query: str) -> tuple[list[str], str]:
    """(the query's folded words, without repeats, at most MAX_WORDS; "") or, for a query
    that is an ISBN, ([], its ISBN-13)."""
    compact = re.sub(r"[\s-]", "", query)
    if re.fullmatch(r"\d{9}[\dXx]|\d{13}", compact) and (found := isbn13(compact)):
        return [], found
    return list(dict.fromkeys(words(query)))[:MAX_WORDS], ""


def _postgres(terms: list[str]) -> QuerySet:
    """The titles found through the word index, each with its rank, as a queryset (for
    counting in the database; `search` and "did you mean" read the index directly, under
    the settings its statements need)."""
    hits = word_index.Hits(terms, Filters())
    found, params = hits.ids_sql()
    rank, rank_params = hits.rank_sql()
    # Both statements are the word index's own SQL; the words are their parameters.
    inside = RawSQL(f'"circulation_title"."id" IN ({found})', params, BooleanField())  # noqa: S611
    ranked = RawSQL(rank, rank_params, output_field=FloatField())  # noqa: S611
    return Title.objects.filter(inside).annotate(rank=ranked)


def _fallback(terms: list[str]) -> QuerySet:
    titles = Title.objects.all()
    for term in terms:
        titles = titles.filter(search_text__contains=f" {term}")
    in_title = sum(
        (Case(When(title__icontains=term, then=Value(1)), default=Value(0)) for term in terms),
        start=Value(0, output_field=IntegerField()),
    )
    return titles.annotate(rank=in_title * 1.0)


def search(query: str, filters: Filters, sort: str = "relevance") -> Search:
    """The titles for a query (or every title, for a browse by subject or facet), filtered,
    sorted, with copy counts and the facet counts of what was found."""
    if not query.strip():
        titles = filters.apply(Title.objects.annotate(rank=Value(0.0, output_field=FloatField())))
        result = Search(titles=_sorted(copy_counts(titles), sort), words=[])
        result.facets = facets(titles)
        return result
    terms, _isbn = query_words(query)
    if terms and connection.vendor == "postgresql":
        return _indexed(terms, filters, sort)
    titles, terms, found_isbn = keyword_match(query)
    titles = filters.apply(titles)
    result = Search(titles=_sorted(copy_counts(titles), sort), words=terms, isbn=found_isbn)
    # The text search runs once, sorted as the page is, for the ids and what the facets
    # count; the count and the facets come from those rows, the page is read by id.
    rows = list(
        _sorted(titles, sort).values_list("pk", "format", "language", "publication_year")[
            : MAX_PASS + 1
        ]
    )
    if len(rows) > MAX_PASS:  # very many found: counted by searching again
        result.facets = facets(titles)
        return result
    result.ids, result.count = [row[0] for row in rows], len(rows)
    result.facets = facets_of_rows(rows, lambda ids: Item.objects.filter(_among("title_id", ids)))
    return result


def _indexed(terms: list[str], filters: Filters, sort: str) -> Search:
    """A keyword search on PostgreSQL: counts, facets and the first pages from the word
    index in one statement, later pages by offset, titles read a page at a time by id."""
    hits = word_index.Hits(terms, filters, sort)
    summary = hits.summary()
    ids = word_index.RankedIds(hits, summary)
    result = Search(
        titles=InOrder(ids, copy_counts(Title.objects.all())),
        words=terms,
        count=summary.count,
        ids=ids,
    )
    on_the_shelf = on_the_shelf_by_branch(Item.objects.filter(_among("title_id", summary.first)))
    result.facets = facets_of_counts(
        summary.formats,
        summary.languages,
        summary.decades,
        on_the_shelf,
        branches_counted=summary.count <= len(summary.first),
    )
    return result


class InOrder:
    """The titles found, in the order the search gave their ids, read a page at a time by
    id (for the paginator: `count`, slices, iteration)."""

    def __init__(self, ids: Sequence[int], titles: QuerySet):
        self.ids, self.titles = ids, titles

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, key: int | slice) -> Title | list[Title]:
        if isinstance(key, int):
            return self[key : key + 1 if key != -1 else None][0]
        wanted = self.ids[key]
        by_id = {title.pk: title for title in self.titles.filter(_among("id", wanted))}
        return [by_id[pk] for pk in wanted if pk in by_id]

    def __iter__(self) -> Iterator[Title]:
        for start in range(0, len(self.ids), 500):
            yield from self[start : start + 500]


def _among(column: str, ids: list[int]) -> Q | RawSQL:
    """`column IN ids`; on PostgreSQL one array parameter rather than one per id."""
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": ids})
    # The column is one of two names written here; the ids go as a parameter.
    return RawSQL(f'"{column}" = ANY(%s)', [ids], output_field=BooleanField())  # noqa: S611


def copy_counts(titles: QuerySet) -> QuerySet:
    """Each title's copies (not withdrawn) and copies on the shelf, as subqueries: counted
    for the rows of the page only, after the sort and the limit, never for every match."""

    def count(condition: Q) -> Coalesce:
        counted = (
            Item.objects.filter(condition, title=OuterRef("pk"))
            .order_by()
            .values("title")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return titles.annotate(
        copies=count(~Q(status=Item.Status.WITHDRAWN)),
        available=count(Q(status=Item.Status.AVAILABLE)),
    )


def _sorted(titles: QuerySet, sort: str) -> QuerySet:
    if sort == "title":
        return titles.order_by("title", "pk")
    if sort == "author":
        return titles.order_by("author", "title", "pk")
    if sort == "newest":
        return titles.order_by(F("publication_year").desc(nulls_last=True), "-created_at", "pk")
    # Equally relevant titles: the latest catalogued first. (By title, PostgreSQL would
    # carry every match's title through the sort, and at a million titles it then chose
    # to read the whole table rather than the text index: three times slower.)
    return titles.order_by("-rank", "-pk")


def reindex(titles: QuerySet | None = None) -> int:
    """Recompute `search_text` (after a QuerySet.update() of searched fields)."""
    count = 0
    batch: list[Title] = []
    for title in (titles if titles is not None else Title.objects.all()).iterator(2000):
        title.search_text = title.build_search_text()
        batch.append(title)
        if len(batch) == 2000:
            count += Title.objects.bulk_update(batch, ["search_text"])
            batch = []
    count += Title.objects.bulk_update(batch, ["search_text"]) if batch else 0
    return count


# -- "did you mean" ---------------------------------------------------------------------


def _is_known(term: str) -> bool:
    """Does some word of the catalog start with this one (as the search matches it)?"""
    return SearchWord.objects.filter(word__gte=term, word__lt=term + "\x7f").exists()


def _candidates(term: str) -> set[str]:
    found = set(
        SearchWord.objects.filter(sound=sound_key(term)).values_list("word", flat=True)[:50]
    )
    if connection.vendor == "postgresql":
        alike = RawSQL("word %% %s", [term], output_field=BooleanField())
        found |= set(
            SearchWord.objects.filter(alike)
            .annotate(similarity=RawSQL("similarity(word, %s)", [term]))
            .order_by("-similarity", "word")
            .values_list("word", flat=True)[:20]
        )
    else:
        found |= set(
            SearchWord.objects.filter(word__startswith=term[0])
            .annotate(length=Length("word"))
            .filter(length__gte=len(term) - 2, length__lte=len(term) + 2)
            .values_list("word", flat=True)[:5000]
        )
    return found


def _closest(term: str) -> str | None:
    sound = sound_key(term)
    best, best_score = None, SUGGEST_SCORE
    for word in sorted(_candidates(term)):
        score = SequenceMatcher(None, term, word).ratio() + (
            0.15 if sound_key(word) == sound else 0
        )
        if score > best_score:
            best, best_score = word, score
    return best


def suggestion(query: str, found: int) -> str:
    """A query that finds more than `found` titles, with the misspelt words replaced by
    the closest words of the catalog; "" when there is none."""
    compact = re.sub(r"[\s-]", "", query)
    if found >= SUGGEST_BELOW or re.fullmatch(r"[\dXx]{10,13}", compact):
        return ""
    terms, _isbn = query_words(query)
    changed, better = False, []
    for term in terms:
        if len(term) < 3 or term.isdigit() or _is_known(term):
            better.append(term)
            continue
        closest = _closest(term)
        changed |= closest is not None
        better.append(closest or term)
    if not changed:
        return ""
    text = " ".join(better)
    return text if _found_up_to(text, found + 1) > found else ""


def _found_up_to(query: str, up_to: int) -> int:
    """How many titles a query finds, counted up to `up_to`."""
    terms, _isbn = query_words(query)
    if terms and connection.vendor == "postgresql":
        return word_index.Hits(terms, Filters()).count(up_to)
    return keyword_match(query)[0].order_by()[:up_to].count()
