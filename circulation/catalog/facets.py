"""The catalog search's facet counts: by format, language, decade of publication, and by
branch where a copy is on the shelf now.

A keyword search counts them from the rows its one pass of the text search returned
(`facets_of_rows`, in Python, exact); a browse without words, or a search finding very
many titles, counts them in the database (`facets`).

The branch facet looks up the copies of every title found, one index probe per title.
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
BRANCHES_COUNTED = 2_000

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


def _branch_facet(items: QuerySet, *, counted: bool = True) -> list[Facet]:
    names = dict(Branch.objects.values_list("pk", "name"))
    available = (
        items.filter(status=Item.Status.AVAILABLE)
        .values("branch")
        .annotate(n=Count("title", distinct=True))
    )
    return sorted(
        (
            Facet(row["branch"], names.get(row["branch"], "?"), row["n"] if counted else None)
            for row in available
        ),
        key=lambda facet: facet.label,
    )


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
        "branch": _branch_facet(Item.objects.filter(title__in=plain)),
    }


def facets_of_rows(
    rows: list[tuple[int, str, str, int | None]], items_of: Callable[[list[int]], QuerySet]
) -> dict[str, list[Facet]]:
    """The same counts from the rows (id, format, language, publication year) a search
    returned, best match first, and `items_of(ids)`, the copies of those titles; ordered
    as `facets` orders them. The branch facet: see BRANCHES_COUNTED."""
    formats = Counter(row[1] for row in rows)
    languages = Counter(row[2] for row in rows if row[2])
    # As the database divides integers: towards zero.
    decades = Counter(int(row[3] / 10) * 10 for row in rows if row[3] is not None)
    return {
        "format": _format_facet(sorted(formats.items(), key=lambda kv: (-kv[1], kv[0]))),
        "language": _language_facet(
            sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))[:LANGUAGES_SHOWN]
        ),
        "decade": _decade_facet(sorted(decades.items(), reverse=True)),
        "branch": _branch_facet(
            items_of([row[0] for row in rows[:BRANCHES_COUNTED]]),
            counted=len(rows) <= BRANCHES_COUNTED,
        ),
    }
