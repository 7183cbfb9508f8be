"""The statistics page at full size, on its own: `python -m bench.statistics` against
the database of DATABASE_URL (use one of its own: it adds rows to the statistics tables).

Fills two years of the anonymous tables the way a consortium of 10 branches would
(every day x branch x item type x patron category has a row, 100,000 titles of which
20,000 are borrowed each month), then times the statistics page for the last year,
grouped by month and by day, signed in as a superuser. Not part of `make bench` yet.
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import sys
import time

BRANCHES = 10
TITLES = 100_000
TITLES_PER_MONTH = 20_000


def fill(today: datetime.date) -> None:
    from circulation.models import Branch, Item, Title, VisitCount
    from circulation.usage import CirculationDay, ComputerUseDay, HoldDay, HoldWait, TitleMonth
    from patrons.models import Patron

    rng = random.Random(19)
    branches = [
        Branch.objects.get_or_create(code=f"sb{i}", defaults={"name": f"Stats branch {i}"})[0]
        for i in range(BRANCHES)
    ]
    if Title.objects.count() < TITLES:
        Title.objects.bulk_create(
            [Title(title=f"Statistics title {i}") for i in range(TITLES)], batch_size=5000
        )
    title_ids = list(Title.objects.values_list("pk", flat=True)[:TITLES])
    start = today - datetime.timedelta(days=2 * 365)
    days = [start + datetime.timedelta(days=d) for d in range(2 * 365 + 1)]
    rows = []
    for day in days:
        for branch in branches:
            for item_type in Item.ItemType.values:
                for category in Patron.Category.values:
                    rows.append(
                        CirculationDay(
                            day=day,
                            branch=branch,
                            item_type=item_type,
                            patron_category=category,
                            checkouts=rng.randint(0, 40),
                            renewals=rng.randint(0, 15),
                            returns=rng.randint(0, 40),
                        )
                    )
    CirculationDay.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    small = []
    for day in days:
        for branch in branches:
            small.append(
                HoldDay(
                    day=day, branch=branch, placed=rng.randint(0, 30), filled=rng.randint(0, 25)
                )
            )
            small.append(
                ComputerUseDay(
                    day=day,
                    branch=branch,
                    sessions=rng.randint(0, 80),
                    minutes=rng.randint(0, 4000),
                )
            )
            small.append(VisitCount(day=day, branch=branch, count=rng.randint(50, 900)))
    for model in (HoldDay, ComputerUseDay, VisitCount):
        model.objects.bulk_create(
            [r for r in small if isinstance(r, model)], batch_size=5000, ignore_conflicts=True
        )
    months = sorted({d.replace(day=1) for d in days})
    waits, titles = [], []
    for month in months:
        for branch in branches:
            for wait in range(0, 60):
                waits.append(
                    HoldWait(month=month, branch=branch, wait_days=wait, filled=rng.randint(0, 9))
                )
        for title_id in rng.sample(title_ids, TITLES_PER_MONTH):
            titles.append(TitleMonth(month=month, title_id=title_id, checkouts=rng.randint(1, 30)))
    HoldWait.objects.bulk_create(waits, batch_size=5000, ignore_conflicts=True)
    TitleMonth.objects.bulk_create(titles, batch_size=5000, ignore_conflicts=True)


def measure(today: datetime.date, requests: int = 20) -> dict[str, dict[str, float]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="stats-bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    start = today.replace(year=today.year - 1) + datetime.timedelta(days=1)
    results = {}
    for group in ("month", "day"):
        url = f"/admin/stats/statistics/?start={start}&end={today}&group={group}"
        assert client.get(url).status_code == 200  # warm-up
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        results[group] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1),
        }
    return results


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calumet.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    import django

    django.setup()
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    setup_test_environment()
    today = timezone.localdate()
    began = time.perf_counter()
    fill(today)
    print(f"filled in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    print(measure(today))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
