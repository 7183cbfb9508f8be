"""The catalog search's facet counts: by format, language, decade of publication, and by
branch where a copy is on the shelf now.

A keyword search on PostgreSQL counts them in the word index's one statement
(`facets_of_counts`); on SQLite, from the rows its one pass of the search returned
(`facets_of_rows`, in Python, exact); a browse without words, or a search finding very
many titles on SQLite, counts them in the database (`facets`).

The branch facet looks up the copies of the titles found, one index probe per title.
A keyword search finding more than BRANCHES_COUNTED titles lists the branches where one
of its BRANCHES_COUNTED best matches is on the shelf, without counts (`Facet.count` is
None; the page says why); choosing one shows how many. Large catalogs' own searches do
the same: Koha builds facets from its first results only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Count, F, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from circulation.models import Branch, Item, Title

LANGUAGES_SHOWN = 12
#: A search finding more titles than this lists the branch facet without counts.
BRANCHES_COUNTED = 1_000

# MARC language codes the catalog names; others are shown as their code.
LANGUAGES = {
    "eng": _("English"),
    "spa": _("Spanish"),
    "fre": _("French"),
    "ger": _("German"),
    "ita": _("Italian"),
    "por": _("Portuguese"),
    "chi": _("Chinese"),
    "jpn": _("Japanese"),
    "kor": _("Korean"),
    "vie": _("Vietnamese"),
    "tgl": _("Tagalog"),
    "rus": _("Russian"),
    "ara": _("Arabic"),
    "heb": _("Hebrew"),
    "hin": _("Hindi"),
    "pol": _("Polish"),
    "dut": _("Dutch"),
    "nor": _("Norwegian"),
    "swe": _("Swedish"),
    "dan": _("Danish"),
    "lat": _("Latin"),
    "gre": _("Greek"),
    "grc": _("Ancient Greek"),
    "mul": _("Several languages"),
}


def language_name(code: str) -> str:
    return str(LANGUAGES.get(code, code))


@dataclass
class Facet:
    value: str | int
    label: str
    count: int | None  # None: not counted (the branch facet of a search finding very many)


def _format_facet(counts: Iterable[tuple[str, int]]) -> list[Facet]:
    formats = dict(Title.Format.choices)
    return [Facet(value, str(formats.get(value, value)), n) for value, n in counts]


def _language_facet(counts: Iterable[tuple[str, int]]) -> list[Facet]:
    return [Facet(value, language_name(value), n) for value, n in counts]


def _decade_facet(counts: Iterable[tuple[int, int]]) -> list[Facet]:
    # Translators: a decade, such as "1990s".
    return [Facet(value, gettext("%(decade)ss") % {"decade": value}, n) for value, n in counts]


def _branch_facet(counts: Iterable[tuple[int, int]], *, counted: bool = True) -> list[Facet]:
    """(branch id, titles on the shelf there) as facets, by branch name."""
    names = dict(Branch.objects.values_list("pk", "name"))
    return sorted(
        (Facet(branch, names.get(branch, "?"), n if counted else None) for branch, n in counts),
        key=lambda facet: facet.label,
    )


def on_the_shelf_by_branch(items: QuerySet) -> list[tuple[int, int]]:
    """(branch id, how many titles) of these copies that are on the shelf now."""
    available = (
        items.filter(status=Item.Status.AVAILABLE)
        .values("branch")
        .annotate(n=Count("title", distinct=True))
    )
    return [(row["branch"], row["n"]) for row in available]


def facets(titles: QuerySet) -> dict[str, list[Facet]]:
    """The facet counts of these titles, counted in the database."""
    plain = titles.order_by()
    by_format = plain.values("format").annotate(n=Count("pk")).order_by("-n", "format")
    by_language = (
        plain.exclude(language="")
        .values("language")
        .annotate(n=Count("pk"))
        .order_by("-n", "language")[:LANGUAGES_SHOWN]
    )
    by_decade = (
        plain.filter(publication_year__isnull=False)
        .annotate(decade=F("publication_year") / 10 * 10)
        .values("decade")
        .annotate(n=Count("pk"))
        .order_by("-decade")
    )
    return {
        "format": _format_facet((row["format"], row["n"]) for row in by_format),
        "language": _language_facet((row["language"], row["n"]) for row in by_language),
        "decade": _decade_facet((row["decade"], row["n"]) for row in by_decade),
        "branch": _branch_facet(on_the_shelf_by_branch(Item.objects.filter(title__in=plain))),
    }


def facets_of_counts(
    formats: Counter,
    languages: Counter,
    decades: Counter,
    branches: Iterable[tuple[int, int]],
    *,
    branches_counted: bool,
) -> dict[str, list[Facet]]:
    """The facets from counts made elsewhere, ordered as `facets` orders them: by
    format, language ("" left out) and decade, and the titles on the shelf by branch
    (without counts unless `branches_counted`: see BRANCHES_COUNTED)."""
    languages = Counter({code: n for code, n in languages.items() if code})
    return {
        "format": _format_facet(sorted(formats.items(), key=lambda kv: (-kv[1], kv[0]))),
        "language": _language_facet(
            sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))[:LANGUAGES_SHOWN]
        ),
        "decade": _decade_facet(sorted(decades.items(), reverse=True)),
        "branch": _branch_facet(branches, counted=branches_counted),
    }


def facets_of_rows(
    rows: list[tuple[int, str, str, int | None]], items_of: Callable[[list[int]], QuerySet]
) -> dict[str, list[Facet]]:
    """The same counts from the rows (id, format, language, publication year) a search
    returned, best match first, and `items_of(ids)`, the copies of those titles."""
    return facets_of_counts(
        Counter(row[1] for row in rows),
        Counter(row[2] for row in rows),
        # As the database divides integers: towards zero.
        Counter(int(row[3] / 10) * 10 for row in rows if row[3] is not None),
        on_the_shelf_by_branch(items_of([row[0] for row in rows[:BRANCHES_COUNTED]])),
        branches_counted=len(rows) <= BRANCHES_COUNTED,
    )
