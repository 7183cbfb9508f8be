"""Every write of the shelf check: start a session, record what was scanned (one barcode
or a file), close it, and the report's one-click correction, which is the desk's check-in
(`circulation.services.loan_return`) at the session's branch.

A check-in from here ends a copy's loan the normal way (the loan's own retention
applies); nothing of the loan is kept here, and no scan is linked to a loan."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from circulation import services as circulation
from circulation.models import Branch, Item
from core.db import in_values
from inventory import barcodes as reading
from inventory.exceptions import InventoryRefusal
from inventory.models import InventoryScan, InventorySession
from privacy.acting import service

#: Scans written per statement when a file is uploaded.
BATCH = 2000


def _today(now: datetime.datetime | None) -> datetime.date:
    return timezone.localdate(now or timezone.now())


def _open_locked(session: InventorySession) -> InventorySession:
    locked = InventorySession.objects.select_for_update().get(pk=session.pk)
    if not locked.is_open:
        raise InventoryRefusal.CLOSED.refuse()
    return locked


@service
def inventory_start(
    *,
    branch: Branch,
    actor,
    call_number_from: str = "",
    call_number_to: str = "",
    item_type: str = "",
    now: datetime.datetime | None = None,
) -> InventorySession:
    """Open a shelf check of `branch`, for a call number range and a type of copy."""
    start, end = call_number_from.strip(), call_number_to.strip()
    if start and end and start.upper() > end.upper() and not start.upper().startswith(end.upper()):
        raise InventoryRefusal.RANGE.refuse()
    return InventorySession.objects.create(
        branch=branch,
        call_number_from=start,
        call_number_to=end,
        item_type=item_type,
        started_by=actor if getattr(actor, "is_staff", False) else None,
        started_on=_today(now),
    )


@service
def inventory_scan(
    *, session: InventorySession, barcode: str, actor, now: datetime.datetime | None = None
) -> tuple[InventoryScan, bool]:
    """Record one barcode seen on the shelf; (the scan, whether it is new). A barcode
    scanned again is the same scan."""
    text = reading.clean(barcode)
    with transaction.atomic():
        session = _open_locked(session)
        return InventoryScan.objects.get_or_create(
            session=session,
            barcode=text,
            defaults={
                "item": Item.objects.filter(barcode=text).first(),
                "scanned_on": _today(now),
            },
        )


@service
def inventory_upload(
    *, session: InventorySession, content: bytes, actor, now: datetime.datetime | None = None
) -> tuple[int, int]:
    """Record every barcode of a file; (new scans, barcodes already scanned or repeated).
    A file with a line that is not a barcode is refused whole: nothing of it is saved."""
    found = reading.read_file(content)
    distinct = list(dict.fromkeys(found))
    today = _today(now)
    with transaction.atomic():
        session = _open_locked(session)
        seen = set()
        items = {}
        for start in range(0, len(distinct), BATCH):
            chunk = distinct[start : start + BATCH]
            seen.update(
                InventoryScan.objects.filter(
                    session=session, barcode__in=in_values(chunk, sql_type="text")
                ).values_list("barcode", flat=True)
            )
            items.update(
                Item.objects.filter(barcode__in=in_values(chunk, sql_type="text")).values_list(
                    "barcode", "pk"
                )
            )
        new = [
            InventoryScan(session=session, barcode=code, item_id=items.get(code), scanned_on=today)
            for code in distinct
            if code not in seen
        ]
        InventoryScan.objects.bulk_create(new, batch_size=BATCH)
    return len(new), len(found) - len(new)


@service
def inventory_close(
    *, session: InventorySession, actor, now: datetime.datetime | None = None
) -> InventorySession:
    """End the shelf check: its report stays; no more scans."""
    with transaction.atomic():
        session = _open_locked(session)
        session.status = InventorySession.Status.CLOSED
        session.closed_on = _today(now)
        session.save(update_fields=["status", "closed_on"])
        return session


@service
def inventory_check_in(
    *, session: InventorySession, item: Item, actor, now: datetime.datetime | None = None
) -> circulation.ReturnResult:
    """The report's correction for a copy found on the shelf but recorded on loan, in
    transit, lost, missing or damaged: the desk's check-in at the session's branch, which
    ends a loan, receives a transit, marks a copy found, or sends it where a hold or its
    home branch needs it, as at the desk."""
    if not InventoryScan.objects.filter(session=session, item=item).exists():
        raise InventoryRefusal.NOT_IN_SESSION.refuse()
    return circulation.loan_return(
        barcode=item.barcode, actor=actor, branch=session.branch, now=now
    )
