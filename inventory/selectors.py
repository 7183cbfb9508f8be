"""Reads of the shelf check: the sessions, and a session's report.

The report is computed when it is read, from the catalog as it is now and the session's
scans: *expected* are the branch's copies in the range that should be on the shelf
(available); *missing* are the expected copies not scanned; *recorded otherwise* are
scanned copies the catalog says are on loan, in transit, lost, missing, damaged, on the
hold shelf or withdrawn; *wrong branch* are scanned copies of another branch; *out of
range* are available copies of this branch scanned here though their call number or type
is outside the range (misshelved); *unknown* are barcodes the catalog does not have.
It names copies only: never who has or had one.

Call numbers are compared as text, letters in upper case, character by character in the
same order on every database (the range's end takes every call number that begins with
it: 600 to 699 takes 699.5 ABC)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Collate, NullIf, Upper

from circulation.models import Item
from inventory.models import InventoryScan, InventorySession

#: What a copy scanned on the shelf may be recorded as instead of available, and whether
#: the report offers the desk's check-in for it.
RECORDED_OTHERWISE = (
    Item.Status.ON_LOAN,
    Item.Status.IN_TRANSIT,
    Item.Status.LOST,
    Item.Status.MISSING,
    Item.Status.DAMAGED,
    Item.Status.ON_HOLD_SHELF,
    Item.Status.WITHDRAWN,
)
CHECK_IN_FIXES = (
    Item.Status.ON_LOAN,
    Item.Status.IN_TRANSIT,
    Item.Status.LOST,
    Item.Status.MISSING,
    Item.Status.DAMAGED,
)


def sessions() -> QuerySet:
    return InventorySession.objects.select_related("branch", "started_by")


def session_by_id(raw) -> InventorySession | None:
    text = str(raw or "")
    return sessions().filter(pk=int(text)).first() if text.isdigit() else None


def _shelf_call_number(prefix: str = ""):
    """The call number on the copy's label (its own, else its title's), upper case, in
    the binary order of its characters."""
    expression = Upper(
        Coalesce(NullIf(F(f"{prefix}call_number"), Value("")), F(f"{prefix}title__call_number"))
    )
    if connection.vendor == "postgresql":
        return Collate(expression, "C")
    return expression


def in_range(session: InventorySession, queryset: QuerySet) -> QuerySet:
    """The copies of `queryset` in the session's range (its branch is not looked at)."""
    queryset = queryset.annotate(shelf_call_number=_shelf_call_number())
    if session.item_type:
        queryset = queryset.filter(item_type=session.item_type)
    if session.call_number_from:
        queryset = queryset.filter(shelf_call_number__gte=session.call_number_from.upper())
    if session.call_number_to:
        end = session.call_number_to.upper()
        queryset = queryset.filter(
            Q(shelf_call_number__lte=end) | Q(shelf_call_number__startswith=end)
        )
    return queryset


@dataclass
class Line:
    """One copy on the report: what is on its label and what the catalog says."""

    item_id: int
    barcode: str
    title: str
    call_number: str
    status: str
    branch: str = ""

    @property
    def status_label(self) -> str:
        return str(Item.Status(self.status).label)

    @property
    def can_check_in(self) -> bool:
        return self.status in CHECK_IN_FIXES


@dataclass
class Report:
    session: InventorySession
    expected: int = 0
    scanned: int = 0
    found: int = 0
    missing: list[Line] = field(default_factory=list)
    recorded_otherwise: list[Line] = field(default_factory=list)
    wrong_branch: list[Line] = field(default_factory=list)
    out_of_range: list[Line] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def discrepancies(self) -> int:
        return (
            len(self.missing)
            + len(self.recorded_otherwise)
            + len(self.wrong_branch)
            + len(self.out_of_range)
            + len(self.unknown)
        )


def _order(line: Line) -> tuple[str, str]:
    return (line.call_number.upper(), line.barcode)


def report(session: InventorySession) -> Report:
    """The session's report, from the catalog as it is now (see the module's docstring)."""
    result = Report(session=session)
    expected: dict[int, Line] = {}
    rows = in_range(session, Item.objects.filter(branch_id=session.branch_id)).values_list(
        "pk", "barcode", "title__title", "call_number", "title__call_number"
    )
    rows = rows.filter(status=Item.Status.AVAILABLE)
    for pk, barcode, title, own_cn, title_cn in rows.iterator(chunk_size=5000):
        expected[pk] = Line(pk, barcode, title, own_cn or title_cn or "", Item.Status.AVAILABLE)
    result.expected = len(expected)
    scans = InventoryScan.objects.filter(session=session).values_list(
        "barcode",
        "item_id",
        "item__title__title",
        "item__call_number",
        "item__title__call_number",
        "item__status",
        "item__branch_id",
        "item__branch__name",
    )
    for barcode, pk, title, own_cn, title_cn, status, branch_id, branch in scans.iterator(
        chunk_size=5000
    ):
        result.scanned += 1
        if pk is None:
            result.unknown.append(barcode)
            continue
        line = Line(pk, barcode, title, own_cn or title_cn or "", status, branch)
        if expected.pop(pk, None) is not None:
            result.found += 1
        elif branch_id != session.branch_id:
            result.wrong_branch.append(line)
        elif status == Item.Status.AVAILABLE:
            result.out_of_range.append(line)
        if status in RECORDED_OTHERWISE:
            result.recorded_otherwise.append(line)
    result.missing = sorted(expected.values(), key=_order)
    for lines in (result.recorded_otherwise, result.wrong_branch, result.out_of_range):
        lines.sort(key=_order)
    result.unknown.sort()
    return result
