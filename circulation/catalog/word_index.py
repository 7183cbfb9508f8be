"""The keyword search on PostgreSQL, read from the catalog's word index (`TitleWord`).

A title's words are rows of `circulation_titleword`, one per lexeme of its search vector
(its title's own words weighted above the rest, the search text stemmed in English and
kept whole), each with the title's format, language and year, under one covering B-tree
(`title_word_search`) in word order. A query word is one or two prefixes (its English stem
and the word as typed: "prejudices" finds "prejudice"), each one range of that index, so
a search reads only the index entries of its words and never visits a title's row to
rank it or to count it in a facet. At a million titles a word found in 37,000 titles is
about 200 index pages instead of 37,000 table pages.

- Found: the titles with every word of the query (a range per word, intersected).
- Rank: per word, RANK_IN_TITLE if it is one of the title's own words, RANK_ELSEWHERE if
  it is only in the author, subjects, series or ISBNs; summed over the words. Equally
  ranked titles: latest catalogued first. (The SQLite fallback ranks by how many of the
  words are in the title: the same order.)
- One statement per search (`Hits.summary`) counts what was found and its facets
  (format, language, decade) and returns the best `facets.BRANCHES_COUNTED` ids: the
  first pages, and the titles whose copies on the shelf make the branch facet
  (`search.py`). Later pages are read by offset (`RankedIds`).

Format, language and decade filters are conditions on the index's own columns; "available
at a branch" and a subject are checked for the titles found only. The SQL below is
written here from fixed fragments; every value (words, filters) is a parameter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from circulation.catalog import facets
from circulation.catalog.filters import Filters
from circulation.models import Item

RANK_IN_TITLE = 10
RANK_ELSEWHERE = 1
#: For the search's own statements only: enough memory for the aggregation of a word
#: found in 100,000 titles not to spill to disk; no JIT compilation (it costs more than
#: such a statement takes); and no nested loops: the planner's estimate of a word's rows
#: can be far too low (a word absent from its sample), and a nested loop over two words'
#: titles is then quadratic (46 s for two words of 2,500 titles each, at a million).
SETTINGS = {"work_mem": "32MB", "jit": "off", "enable_nestloop": "off"}


def _of_title(column: str) -> str:
    """A column of the title found (`h`), read by a sub-plan: one probe of the titles'
    primary key per title (a join could not be a nested loop: SETTINGS)."""
    return f"(SELECT t.{column} FROM circulation_title t WHERE t.id = h.title_id)"


#: The sorts, over the titles found as `h`; by title, author or date they read each title.
ORDER = {
    "relevance": "h.rank DESC, h.title_id DESC",
    "title": f"{_of_title('title')}, h.title_id",
    "author": f"{_of_title('author')}, {_of_title('title')}, h.title_id",
    "newest": f"h.year DESC NULLS LAST, {_of_title('created_at')} DESC, h.title_id",
}


def prefixes(words: list[str]) -> list[list[str]]:
    """Each folded query word's prefixes as the index holds words: its English stem (none
    for a stop word) and the word itself, without one that starts with the other."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.k, v.lexeme FROM unnest(%s::text[]) WITH ORDINALITY AS q(word, k), "
            "unnest(to_tsvector('english'::regconfig, q.word) "
            "|| to_tsvector('simple'::regconfig, q.word)) AS v",
            [words],
        )
        found: list[set[str]] = [set() for _ in words]
        for k, lexeme in cursor.fetchall():
            found[k - 1].add(lexeme)
    return [
        sorted(p for p in lexemes if not any(o != p and p.startswith(o) for o in lexemes))
        for lexemes in found
    ]


def _after(prefix: str) -> str:
    """The first string after every string that starts with `prefix` (byte order)."""
    return prefix[:-1] + chr(min(ord(prefix[-1]) + 1, 0x10FFFF))


@dataclass
class Summary:
    count: int
    formats: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    decades: Counter = field(default_factory=Counter)
    first: list[int] = field(default_factory=list)  # the BRANCHES_COUNTED best ids, in order


class Hits:
    """The titles found for some folded words, filtered, in a sort order."""

    def __init__(self, words: list[str], filters: Filters, sort: str = "relevance"):
        self.sort = sort if sort in ORDER else "relevance"
        self.words = prefixes(words) if words else []
        self._sql, self._params = self._hits(filters)

    def _hits(self, filters: Filters) -> tuple[str, list]:
        """SELECT title_id, rank, format, language, year of the titles found."""
        on_index, params = [], []
        if filters.format:
            on_index.append("t.format = %s")
            params.append(filters.format)
        if filters.language:
            on_index.append("t.language = %s")
            params.append(filters.language)
        if filters.decade is not None:
            on_index.append("t.publication_year >= %s AND t.publication_year < %s")
            params += [filters.decade, filters.decade + 10]
        condition = "".join(f" AND {c}" for c in on_index)
        if not self.words or any(not word for word in self.words):  # a word with no prefix
            return (
                "SELECT NULL::bigint AS title_id, 0 AS rank, '' AS format, '' AS language, "
                "NULL::int AS year WHERE false",
                [],
            )

        # The first word's rows (with the title's facet columns), kept when the title has
        # every other word (a hashed semi-join per word), each row saying whether the
        # title has each other word among its own words (a hashed sub-plan per word);
        # then one row per title. (Grouping every word's rows by title and joining them
        # took twice as long for two common words.)
        def titles_of(word: list[str], *, own: bool = False) -> tuple[str, list]:
            also = " AND u.in_title" if own else ""
            sql = " UNION ALL ".join(
                "SELECT u.title_id FROM circulation_titleword u "
                f"WHERE u.word ~>=~ %s AND u.word ~<~ %s{also}"
                for _prefix in word
            )
            return sql, [v for prefix in word for v in (prefix, _after(prefix))]

        first, others = self.words[0], self.words[1:]
        select, select_params = ["t.*"], []
        where, where_params = [], []
        for k, word in enumerate(others, start=1):
            sql, values = titles_of(word, own=True)
            select.append(f"t.title_id IN ({sql}) AS in_title_{k}")
            select_params += values
            sql, values = titles_of(word)
            where.append(f"t.title_id IN ({sql})")
            where_params += values
        rows = " UNION ALL ".join(
            "SELECT t.title_id, t.in_title AS in_title_0, t.format, t.language, "
            "t.publication_year AS year FROM circulation_titleword t "
            f"WHERE t.word ~>=~ %s AND t.word ~<~ %s{condition}"
            for _prefix in first
        )
        rows_params = [v for prefix in first for v in (prefix, _after(prefix), *params)]
        rank = " + ".join(
            f"CASE WHEN bool_or(r.in_title_{k}) THEN {RANK_IN_TITLE} ELSE {RANK_ELSEWHERE} END"
            for k in range(len(self.words))
        )
        filtered = f" WHERE {' AND '.join(where)}" if where else ""
        hits = (
            f"SELECT r.title_id, {rank} AS rank, max(r.format) AS format, "
            "max(r.language) AS language, max(r.year) AS year "
            f"FROM (SELECT {', '.join(select)} FROM ({rows}) t{filtered}) r GROUP BY r.title_id"
        )
        hits_params = select_params + rows_params + where_params
        after, after_params = [], []
        # Subplans, one index probe per title found (a LIMIT keeps the planner from
        # making them joins, which it could not make nested loops here).
        if filters.branch is not None:
            after.append(
                "(SELECT 1 FROM circulation_item i WHERE i.title_id = f.title_id "
                "AND i.status = %s AND i.branch_id = %s LIMIT 1) IS NOT NULL"
            )
            after_params += [Item.Status.AVAILABLE, filters.branch]
        if filters.subject:
            after.append(
                "(SELECT 1 FROM circulation_title s WHERE s.id = f.title_id "
                "AND s.subjects ~* %s LIMIT 1) IS NOT NULL"
            )
            after_params.append(filters.subject_pattern())
        if after:
            hits = f"SELECT f.* FROM ({hits}) f WHERE {' AND '.join(after)}"
        return hits, hits_params + after_params

    def _ordered(self) -> str:
        return f"FROM hits h ORDER BY {ORDER[self.sort]}"

    def summary(self) -> Summary:
        """How many were found, their facet counts and the best ids: one statement."""
        sql = (
            f"WITH hits AS MATERIALIZED ({self._sql}), "
            f"best AS MATERIALIZED (SELECT h.title_id, row_number() OVER () AS place "
            f"FROM (SELECT h.title_id {self._ordered()} LIMIT %s) h) "
            # The count and the facets in one pass. GROUPING(...) says which grouping a
            # row is: a bit per column, format's the highest, set when the row is not
            # grouped by that column.
            "SELECT GROUPING(format, language, year / 10), format, language, "
            "year / 10 * 10, count(*) FROM hits "
            "GROUP BY GROUPING SETS ((format), (language), (year / 10), ()) "
            "UNION ALL SELECT -1, NULL, NULL, place, title_id FROM best"
        )
        rows = self._run(sql, [*self._params, facets.BRANCHES_COUNTED])
        result, first = Summary(count=0), []
        for grouping, format_, language, decade, number in rows:
            if grouping == -1:  # a best match: its place and id
                first.append((decade, number))
            elif grouping == 0b011:  # by format
                result.formats[format_] = number
            elif grouping == 0b101:  # by language
                result.languages[language] = number
            elif grouping == 0b110 and decade is not None:  # by decade, the year known
                result.decades[decade] = number
            elif grouping == 0b111:  # every title found
                result.count = number
        result.first = [pk for _place, pk in sorted(first)]
        return result

    def count(self, up_to: int) -> int:
        """How many were found, counted up to `up_to`."""
        sql = f"SELECT count(*) FROM (SELECT 1 FROM ({self._sql}) h LIMIT %s) found"
        return self._run(sql, [*self._params, up_to])[0][0]

    def ids(self, offset: int, limit: int) -> list[int]:
        """The ids of the titles found from `offset` on, in order (a later page)."""
        sql = f"WITH hits AS ({self._sql}) SELECT h.title_id {self._ordered()} LIMIT %s OFFSET %s"
        return [row[0] for row in self._run(sql, [*self._params, limit, offset])]

    @staticmethod
    def _run(sql: str, params: list) -> list[tuple]:
        """The rows of one of the search's statements, under its SETTINGS (and only it:
        inside a caller's transaction they are set back afterwards)."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("; ".join(f"SET LOCAL {n} = '{v}'" for n, v in SETTINGS.items()))
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            cursor.execute("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in SETTINGS))
            return rows

    def ids_sql(self) -> tuple[str, list]:
        """SELECT title_id of every title found (for a subquery)."""
        return f"SELECT title_id FROM ({self._sql}) found", list(self._params)

    def rank_sql(self) -> tuple[str, list]:
        """A title's rank for these words (a correlated subquery on circulation_title), as
        `summary` ranks: per word the best of its rows, summed."""
        parts, params = [], []
        for word in self.words:
            ranges = " OR ".join("(t.word ~>=~ %s AND t.word ~<~ %s)" for _ in word)
            parts.append(
                f"COALESCE((SELECT max(CASE WHEN t.in_title THEN {RANK_IN_TITLE} "
                f"ELSE {RANK_ELSEWHERE} END) FROM circulation_titleword t "
                f'WHERE t.title_id = "circulation_title"."id" AND ({ranges})), 0)'
            )
            params += [value for prefix in word for value in (prefix, _after(prefix))]
        return "(" + (" + ".join(parts) or "0") + ")", params


class RankedIds:
    """The ids found, in order, for the paginator: the best from the summary, later pages
    read by offset."""

    def __init__(self, hits: Hits, summary: Summary):
        self.hits, self.first, self.count = hits, summary.first, summary.count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, key: int | slice) -> int | list[int]:
        if isinstance(key, int):
            key = key + self.count if key < 0 else key
            found = self[key : key + 1]
            if not found:
                raise IndexError(key)
            return found[0]
        start, stop, step = key.indices(self.count)
        if stop <= len(self.first) or stop <= start:
            return self.first[start:stop:step]
        return self.hits.ids(start, stop - start)[::step]

    def __iter__(self) -> Iterator[int]:
        for start in range(0, self.count, 500):
            yield from self[start : start + 500]
