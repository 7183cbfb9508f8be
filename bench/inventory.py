"""The shelf check of a large branch: a step of `make bench` (`--only inventory` alone).

Adds a branch of its own with `COPIES` x scale copies (50,000 at full size) to whatever
the database holds: 2 % recorded on loan, 1 % in transit and 0.5 % lost, in call numbers
000 to 999. Then, through the services and the selector the staff pages call:

- an upload of the whole branch's barcodes as one file, as a portable scanner gives them
  (95 % of the copies, the ones on loan among them, plus 1 % of copies of another branch
  and 0.5 % unknown barcodes, with 1 % scanned twice);
- the report of the whole branch (every copy expected, the findings sorted), three times;
- the session's page (the report, the first 200 missing copies) through the test client;
- single scans at the desk (`inventory_scan`, one barcode each), as staff scan a shelf.
"""

from __future__ import annotations

import statistics as stats
import time

from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment

from bench.setup import ADMIN, PASSWORD
from circulation.models import Branch, Item, Title
from inventory import selectors, services
from inventory.models import InventoryScan, InventorySession

COPIES = 50_000
SINGLE_SCANS = 200


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _build(copies: int) -> tuple[Branch, list[str], list[str]]:
    branch, _ = Branch.objects.get_or_create(code="bench-inv", defaults={"name": "Inventory"})
    other, _ = Branch.objects.get_or_create(code="bench-inv-2", defaults={"name": "Elsewhere"})
    # What an earlier run (--reuse) left: its sessions, their scans and its copies.
    InventorySession.objects.filter(branch=branch).delete()
    Item.objects.filter(branch__in=(branch, other)).delete()
    titles = Title.objects.bulk_create(
        Title(title=f"Shelf title {n}", call_number=f"{n % 1000:03d}.{n % 97} AUT")
        for n in range(max(1, copies // 4))
    )
    statuses = {0: Item.Status.ON_LOAN, 1: Item.Status.ON_LOAN, 2: Item.Status.IN_TRANSIT}
    items = []
    for n in range(copies):
        status = statuses.get(n % 100, Item.Status.AVAILABLE)
        if n % 200 == 3:
            status = Item.Status.LOST
        items.append(
            Item(
                title=titles[n % len(titles)],
                barcode=f"39{n:012d}",
                branch=branch,
                call_number=f"{(n * 7) % 1000:03d}.{n % 89} X{n % 26}",
                status=status,
            )
        )
    Item.objects.bulk_create(items, batch_size=5000)
    strays = [f"38{n:012d}" for n in range(copies // 100)]
    Item.objects.bulk_create(
        (Item(title=titles[0], barcode=code, branch=other) for code in strays), batch_size=5000
    )
    shelf = [item.barcode for n, item in enumerate(items) if n % 20 != 7]
    unknown = [f"UNKNOWN-{n}" for n in range(copies // 200)]
    return branch, shelf + strays + unknown + shelf[: copies // 100], shelf


def _staff():
    """The benchmark's administrator (made here when `--only inventory` made no data)."""
    users = get_user_model()
    staff = users.objects.filter(username=ADMIN).first()
    return staff or users.objects.create_superuser(ADMIN, "admin@bench.invalid", PASSWORD)


def measure(scale: float) -> dict:
    copies = max(1000, int(COPIES * scale))
    staff = _staff()
    start = time.perf_counter()
    branch, lines, shelf = _build(copies)
    built = time.perf_counter() - start

    session = services.inventory_start(branch=branch, actor=staff)
    content = "\n".join(["barcode", *lines]).encode()
    start = time.perf_counter()
    new, repeated = services.inventory_upload(session=session, content=content, actor=staff)
    upload = time.perf_counter() - start

    timings, report = [], None
    for _ in range(3):
        start = time.perf_counter()
        report = selectors.report(session)
        timings.append(time.perf_counter() - start)

    setup_test_environment()
    try:
        client = Client()
        client.force_login(staff)
        url = f"/admin/inventory/inventory-session/?session={session.pk}"
        client.get(url)  # warm-up: templates
        pages = []
        for _ in range(3):
            start = time.perf_counter()
            status = client.get(url).status_code
            pages.append(time.perf_counter() - start)
    finally:
        teardown_test_environment()

    second = services.inventory_start(branch=branch, actor=staff)
    scans = []
    for barcode in shelf[:SINGLE_SCANS]:
        start = time.perf_counter()
        services.inventory_scan(session=second, barcode=barcode, actor=staff)
        scans.append(time.perf_counter() - start)
    scans.sort()
    return {
        "copies": copies,
        "barcodes_uploaded": len(lines),
        "build_seconds": round(built, 1),
        "upload_seconds": round(upload, 2),
        "upload_new": new,
        "upload_repeated": repeated,
        "scans_kept": InventoryScan.objects.filter(session=session).count(),
        "report_median_ms": _ms(stats.median(timings)),
        "report_counts": {
            "expected": report.expected,
            "found": report.found,
            "missing": len(report.missing),
            "recorded_otherwise": len(report.recorded_otherwise),
            "wrong_branch": len(report.wrong_branch),
            "unknown": len(report.unknown),
        },
        "page_status": status,
        "page_median_ms": _ms(stats.median(pages)),
        "single_scan_p50_ms": _ms(scans[len(scans) // 2]),
        "single_scan_p95_ms": _ms(scans[int(len(scans) * 0.95) - 1]),
    }
