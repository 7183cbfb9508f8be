"""The annual survey: the IMLS Public Libraries Survey (PLS), element by element, for one
fiscal year and the one before, from the anonymous counts (docs/statistics.md, "The
annual survey").

Each element is computed from what Calumet keeps without naming a patron: the statistics
tables (circulation per day with the audience of the material, visits, computer use),
the programs' own counts and age group, the catalog's copies, and one count of the
patron table. An element Calumet cannot compute says so, and why.

The whole library's totals are exact (the survey needs them; they are also on the
statistics page, month by month). The breakdowns of a total are protected like the
statistics page's: the programs and attendance per age group add up to the totals, so a
small count is hidden and the smallest others of the group withheld with it
(`stats.suppression`); the circulation of children's materials, the only audience
published, and the registered users hide a small count. The age groups are published
for fiscal years only, never for a month, so no other page gives a part of them back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from circulation.models import Item, Program, Title
from patrons.models import Patron
from stats.counts import Counts
from stats.period import Period, fiscal_year, year_earlier
from stats.suppression import cell, exact, figure, suppressed_cells, threshold
from stats.tables import Table

#: How many years a registration counts after its card expired: the survey asks for
#: registration files purged within the past three years.
REGISTRATION_YEARS = 3

#: The catalog's item types in the survey's physical collection elements; any other
#: type counts in TOTPHYS only.
HOLDINGS = {
    "BKVOL": (Item.ItemType.BOOK, Item.ItemType.LARGE_PRINT),
    "AUDIO_PH": (Item.ItemType.AUDIOBOOK,),
    "VIDEO_PH": (Item.ItemType.DVD,),
}
#: Copies that are not part of the collection any more (or not now).
NOT_HELD = (Item.Status.WITHDRAWN, Item.Status.LOST)

#: The survey's program age groups, by the program's audience.
PROGRAM_GROUPS = (
    ("K0_5", Program.Audience.CHILDREN_0_5),
    ("K6_11", Program.Audience.CHILDREN_6_11),
    ("YA", Program.Audience.YOUNG_ADULT),
    ("ADULT", Program.Audience.ADULT),
    ("GEN", Program.Audience.GENERAL),
)


@dataclass(frozen=True)
class Element:
    """One element of the survey: its code, the survey's name for it, the section it is
    in, and how Calumet counts it (or why it cannot: `computed` False)."""

    code: str
    name: str
    section: str
    how: str
    computed: bool = True


COLLECTION, CIRCULATION, PROGRAMS, USE = "Collection", "Circulation", "Programs", "Use"
NOT_COMPUTED = "not computed"

ELEMENTS = (
    Element(
        "BKVOL",
        "Print materials (physical units)",
        COLLECTION,
        "Copies of books and large print in the catalog at the end of the year.",
    ),
    Element(
        "AUDIO_PH",
        "Audio, physical units",
        COLLECTION,
        "Copies of audiobooks in the catalog at the end of the year.",
    ),
    Element(
        "VIDEO_PH",
        "Video, physical units",
        COLLECTION,
        "Copies of DVDs in the catalog at the end of the year.",
    ),
    Element(
        "TOTPHYS",
        "Total physical items",
        COLLECTION,
        "Every copy in the catalog at the end of the year (magazines included).",
    ),
    Element(
        "EBOOK",
        "E-books",
        COLLECTION,
        "Calumet lends no electronic content: e-books are licensed and counted elsewhere.",
        computed=False,
    ),
    Element(
        "AUDIO_DL",
        "Audio, downloadable units",
        COLLECTION,
        "Calumet lends no electronic content.",
        computed=False,
    ),
    Element(
        "VIDEO_DL",
        "Video, downloadable units",
        COLLECTION,
        "Calumet lends no electronic content.",
        computed=False,
    ),
    Element(
        "ELECCOLL",
        "Electronic collections (databases)",
        COLLECTION,
        "Databases are subscribed to outside Calumet; it keeps no list of them.",
        computed=False,
    ),
    Element(
        "TOTCIR",
        "Total circulation of materials",
        CIRCULATION,
        "Check-outs plus renewals in the year.",
    ),
    Element(
        "PHYSCIR",
        "Physical item circulation",
        CIRCULATION,
        "The same as TOTCIR: every loan is of a physical copy.",
    ),
    Element(
        "KIDCIRCL",
        "Circulation of children's materials",
        CIRCULATION,
        "Check-outs plus renewals of copies whose title is for children, counted when "
        "lent. A title whose audience is not recorded is not counted here.",
    ),
    Element(
        "ELMATCIR",
        "Use of electronic materials",
        CIRCULATION,
        "Calumet lends no electronic content.",
        computed=False,
    ),
    Element(
        "LOANTO",
        "Interlibrary loans provided to other libraries",
        CIRCULATION,
        "Calumet records no interlibrary loans (lending between its own branches is not one).",
        computed=False,
    ),
    Element(
        "LOANFM",
        "Interlibrary loans received from other libraries",
        CIRCULATION,
        "Calumet records no interlibrary loans.",
        computed=False,
    ),
    Element(
        "TOTPRO", "Total synchronous program sessions", PROGRAMS, "Programs that began in the year."
    ),
    Element("K0_5PRO", "Programs for children 0-5", PROGRAMS, "Programs for children 0 to 5."),
    Element("K6_11PRO", "Programs for children 6-11", PROGRAMS, "Programs for children 6 to 11."),
    Element("YAPRO", "Programs for young adults 12-18", PROGRAMS, "Programs for young adults."),
    Element("ADULTPRO", "Programs for adults 19 and over", PROGRAMS, "Programs for adults."),
    Element("GENPRO", "General interest programs", PROGRAMS, "Programs for all ages."),
    Element(
        "TOTATTEN",
        "Total synchronous program attendance",
        PROGRAMS,
        "Attendance marked at the programs that began in the year.",
    ),
    Element("K0_5ATTEN", "Attendance, children 0-5", PROGRAMS, "At programs for children 0 to 5."),
    Element(
        "K6_11ATTEN", "Attendance, children 6-11", PROGRAMS, "At programs for children 6 to 11."
    ),
    Element("YAATTEN", "Attendance, young adults 12-18", PROGRAMS, "At programs for young adults."),
    Element("ADULTATTEN", "Attendance, adults 19 and over", PROGRAMS, "At programs for adults."),
    Element("GENATTEN", "Attendance, general interest", PROGRAMS, "At programs for all ages."),
    Element(
        "VISITS",
        "Library visits",
        USE,
        "Cards scanned at the branch entrances (and gate counts entered); visitors who "
        "scan no card are not counted.",
    ),
    Element(
        "REGBOR",
        "Registered users",
        USE,
        "Patron accounts registered by the end of the year whose card had not been "
        f"expired for more than {REGISTRATION_YEARS} years then, counted the day the "
        "report is made.",
    ),
    Element(
        "REFERENC",
        "Reference transactions",
        USE,
        "Not recorded: the desk records loans, not questions answered.",
        computed=False,
    ),
    Element(
        "PITUSR",
        "Uses of public internet computers",
        USE,
        "Public computer sessions begun in the year.",
    ),
    Element(
        "GPTERMS",
        "Public internet computers",
        USE,
        "Calumet keeps no list of the library's computers (a session's workstation "
        "label is erased with the session).",
        computed=False,
    ),
    Element(
        "WIFISESS",
        "Wireless sessions",
        USE,
        "Not recorded: the wireless network is outside Calumet.",
        computed=False,
    ),
)
BY_CODE = {element.code: element for element in ELEMENTS}


def registered_users(period: Period) -> int:
    """Patrons registered by the end of `period` whose card had not been expired for more
    than the survey's three years then: one COUNT of the patron table, as of today (the
    expunge removes registrations long expired, so it cannot be counted later)."""
    purged_before = period.end
    for _ in range(REGISTRATION_YEARS):
        purged_before = year_earlier(purged_before)
    _, after = period.bounds()
    return Patron.objects.filter(
        registered_at__lt=after, card_expires_on__gte=purged_before
    ).count()


def holdings(period: Period) -> dict[str, int]:
    """The copies in the catalog at the end of `period`, per survey element: those added
    by then and not withdrawn or lost now (the catalog keeps no history of withdrawals,
    so a copy withdrawn since the year ended is not counted)."""
    _, after = period.bounds()
    per_type = dict(
        Item.objects.filter(added_at__lt=after)
        .exclude(status__in=NOT_HELD)
        .values("item_type")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("item_type", "n")
    )
    result = {code: sum(per_type.get(t, 0) for t in types) for code, types in HOLDINGS.items()}
    result["TOTPHYS"] = sum(per_type.values())
    return result


def _programs_by_group(counts: Counts) -> dict[str, int]:
    """Sessions and attendance per age group, this year and the year before."""
    first, after = counts.period.bounds()
    first_before, after_before = counts.earlier.bounds()
    now = Q(starts_at__gte=first, starts_at__lt=after)
    before = Q(starts_at__gte=first_before, starts_at__lt=after_before)
    rows = {
        row["audience"]: row
        for row in Program.objects.filter(now | before)
        .values("audience")
        .annotate(
            now_pro=Count("pk", filter=now),
            now_atten=Sum("attendance_count", filter=now),
            before_pro=Count("pk", filter=before),
            before_atten=Sum("attendance_count", filter=before),
        )
        .order_by()
    }
    result: dict[str, int] = {}
    for group, audience in PROGRAM_GROUPS:
        row = rows.get(audience, {})
        for kind in ("pro", "atten"):
            code = f"{group}{kind.upper()}"
            result[code] = row.get(f"now_{kind}") or 0
            result[code + "_before"] = row.get(f"before_{kind}") or 0
    return result


def _children(counts: Counts, before: bool) -> int:
    suffix = "_before" if before else ""
    return sum(
        row["checkouts" + suffix] + row["renewals" + suffix]
        for row in counts.circulation
        if row["audience"] == Title.Audience.CHILDREN
    )


def values(year: int) -> tuple[dict[str, int | None], dict[str, int | None]]:
    """Every computed element of fiscal year `year` and of the year before (None: not
    known for that year)."""
    period = fiscal_year(year)
    counts = Counts(period)
    this: dict[str, int | None] = {}
    last: dict[str, int | None] = {}
    programs = _programs_by_group(counts)
    for data, before in ((this, False), (last, True)):
        totals = counts.totals(before=before)
        circulation = totals["checkouts"] + totals["renewals"]
        suffix = "_before" if before else ""
        data.update(
            TOTCIR=circulation,
            PHYSCIR=circulation,
            KIDCIRCL=_children(counts, before),
            TOTPRO=totals["program_sessions"],
            TOTATTEN=totals["program_attendance"],
            VISITS=totals["visits"],
            PITUSR=totals["computer_sessions"],
        )
        for group, _ in PROGRAM_GROUPS:
            for kind in ("PRO", "ATTEN"):
                data[group + kind] = programs[group + kind + suffix]
    # Counted today, for the year asked for only: neither is kept for a past day.
    this.update(holdings(period), REGBOR=registered_users(period))
    last.update(dict.fromkeys((*HOLDINGS, "TOTPHYS", "REGBOR")))
    return this, last


#: Shown as counted (the whole library's year, or the catalog's copies).
EXACT = {"TOTCIR", "PHYSCIR", "TOTPRO", "TOTATTEN", "VISITS", "PITUSR", *HOLDINGS, "TOTPHYS"}
#: A single figure that hides a small count (no other part of its total is published).
SINGLE = {"KIDCIRCL", "REGBOR"}


def _group_cells(data: dict, kind: str, below: int) -> dict[str, dict]:
    """The age groups of programs (kind PRO) or attendance (ATTEN), which add up to the
    exact total: protected as a column of a breakdown."""
    codes = [f"{group}{kind}" for group, _ in PROGRAM_GROUPS]
    table = Table("groups", "", ["Group", "Count"], rows=[[c, data[c]] for c in codes])
    small_ones, withheld = suppressed_cells(table, below)
    return {
        code: cell(data[code], below, (i, 1) in small_ones, (i, 1) in withheld)
        for i, code in enumerate(codes)
    }


NOT_KEPT = {"text": "not kept", "csv": "", "value": None, "num": True, "hidden": True}


def shown(data: dict[str, int | None]) -> dict[str, dict]:
    """How each computed element of one year is shown (`stats.suppression.cell`)."""
    below = threshold()
    result = {}
    for code, value in data.items():
        if code not in BY_CODE:
            continue
        if value is None:
            result[code] = NOT_KEPT
        elif code in EXACT:
            result[code] = exact(value)
        elif code in SINGLE:
            result[code] = figure(value)
    if all(data.get(f"{g}PRO") is not None for g, _ in PROGRAM_GROUPS):
        result.update(_group_cells(data, "PRO", below))
        result.update(_group_cells(data, "ATTEN", below))
    return result


def lines(year: int) -> list[dict]:
    """The survey's lines for fiscal year `year`, in the survey's order, each with its
    element, this year's and last year's cell, and how it is counted (or why not)."""
    this, last = values(year)
    now, before = shown(this), shown(last)
    result = []
    for element in ELEMENTS:
        if element.computed:
            value, previous = now[element.code], before[element.code]
        else:
            value = previous = {"text": NOT_COMPUTED, "csv": "", "value": None, "num": True}
        result.append({"element": element, "value": value, "previous": previous})
    return result


def csv_table(year: int, rows: list[dict]) -> tuple[list[str], list[list]]:
    """The survey as CSV: numbers stay numbers; a value not shown is left empty and the
    column "Not shown" says which and why (protected, not kept, not computed)."""
    header = [
        "PLS element",
        "Description",
        f"FY{year}",
        f"FY{year - 1}",
        "Not shown",
        "How it is counted",
    ]
    body = []
    for line in rows:
        element, notes = line["element"], []
        if not element.computed:
            notes.append(NOT_COMPUTED)
        else:
            for label, c in ((f"FY{year}", line["value"]), (f"FY{year - 1}", line["previous"])):
                if c.get("hidden") or c["value"] is None:
                    notes.append(f"{label}: {c['text']}")
        body.append(
            [
                element.code,
                element.name,
                line["value"]["csv"] if line["value"]["value"] is not None else "",
                line["previous"]["csv"] if line["previous"]["value"] is not None else "",
                "; ".join(notes),
                element.how,
            ]
        )
    return header, body
