"""The statistics page for a year at full size: a step of `make bench`.

The main data set's statistics (what the desk would have counted for its loans, holds,
visits...) cover the months its records span. This step fills the anonymous tables out
to two whole years the way a ten-branch consortium's would be: a row for every day x
branch x item type x patron category (a library that busy has one for nearly every key
every day), holds, computers and visits per day and branch, hold waits per month, and
20,000 titles borrowed each month (scaled with --scale, at least 200). It adds to the
rows the main data set made, never replaces them (INSERT ... ON CONFLICT DO NOTHING,
in SQL: seconds, not minutes). Then it times the page for the last twelve months that
are over (figures are published by whole months only), through gunicorn, signed in as a
staff member.
"""

from __future__ import annotations

import datetime
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import web
from bench.setup import ADMIN, PASSWORD
from circulation.models import Item
from patrons.models import PatronCategory

BRANCH_ROWS = "SELECT id FROM circulation_branch"
TITLES_PER_MONTH = 20_000
GROUPS = ("month",)  # the only grouping: whole months (docs/statistics.md)


def _n(key: str, below: int) -> str:
    """SQL: a number from 0 to below - 1 drawn from `key` (the same on every run)."""
    return f"(hashtext({key}) & 2147483647) %% {below}"


def _execute(sql: str, params: dict) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fill(today: datetime.date, scale: float) -> dict[str, int]:
    """Two years of anonymous counts to `today`; returns the rows added per table."""
    categories = list(PatronCategory.objects.values_list("code", flat=True))
    params = {
        "first": today - datetime.timedelta(days=2 * 365),
        "last": today,
        "types": list(Item.ItemType.values),
        "categories": categories,
        "per_month": max(200, int(TITLES_PER_MONTH * min(scale, 1))),
    }
    days = "generate_series(%(first)s::date, %(last)s::date, interval '1 day') g(d)"
    months = (
        "generate_series(date_trunc('month', %(first)s::date), %(last)s::date,"
        " interval '1 month') m(d)"
    )
    # hashtext() of the key: the same counts on every run, spread like real ones.
    statements = {
        "circulation per day": f"""
            INSERT INTO circulation_circulationday (day, branch_id, item_type,
                patron_category, checkouts, renewals, returns)
            SELECT d::date, b.id, t, c, {_n("d::text || b.id || t || c", 41)},
                {_n("c || t || b.id || d::text", 16)},
                {_n("t || d::text || c || b.id", 41)}
            FROM {days} CROSS JOIN ({BRANCH_ROWS}) b
            CROSS JOIN unnest(%(types)s::text[]) t CROSS JOIN unnest(%(categories)s::text[]) c
            ORDER BY 1, 2, 3, 4 ON CONFLICT DO NOTHING""",
        "holds per day": f"""
            INSERT INTO circulation_holdday (day, branch_id, placed, filled, cancelled,
                expired)
            SELECT d::date, b.id, {_n("d::text || b.id", 31)},
                {_n("b.id || d::text", 26)}, {_n("d::text || 'c' || b.id", 4)},
                {_n("d::text || 'e' || b.id", 3)}
            FROM {days} CROSS JOIN ({BRANCH_ROWS}) b ORDER BY 1, 2 ON CONFLICT DO NOTHING""",
        "computer use per day": f"""
            INSERT INTO circulation_computeruseday (day, branch_id, sessions, minutes)
            SELECT d::date, b.id, {_n("d::text || 's' || b.id", 81)},
                {_n("d::text || 'm' || b.id", 4001)}
            FROM {days} CROSS JOIN ({BRANCH_ROWS}) b ORDER BY 1, 2 ON CONFLICT DO NOTHING""",
        "visits per day": f"""
            INSERT INTO circulation_visitcount (day, branch_id, count)
            SELECT d::date, b.id, 50 + {_n("d::text || 'v' || b.id", 851)}
            FROM {days} CROSS JOIN ({BRANCH_ROWS}) b ORDER BY 1, 2 ON CONFLICT DO NOTHING""",
        "hold waits": f"""
            INSERT INTO circulation_holdwait (month, branch_id, wait_days, filled)
            SELECT d::date, b.id, w, {_n("d::text || b.id || w", 10)}
            FROM {months} CROSS JOIN ({BRANCH_ROWS}) b CROSS JOIN generate_series(0, 59) w
            ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING""",
        "title per month": f"""
            INSERT INTO circulation_titlemonth (month, title_id, checkouts)
            SELECT d::date, t.id, 1 + {_n("d::text || t.id", 30)}
            FROM {months} CROSS JOIN LATERAL (
                SELECT id FROM circulation_title
                ORDER BY hashtext(id || d::text) LIMIT %(per_month)s) t
            ORDER BY 1, 2 ON CONFLICT DO NOTHING""",
    }
    added = {name: _execute(sql, params) for name, sql in statements.items()}
    with connection.cursor() as cursor:  # as autovacuum would, soon after
        for table in ("circulationday", "holdday", "computeruseday", "visitcount",
                      "holdwait", "titlemonth"):  # fmt: skip
            cursor.execute(f"ANALYZE circulation_{table}")
    return added


def url(today: datetime.date, group: str) -> str:
    last = today.replace(day=1) - datetime.timedelta(days=1)  # the last month that is over
    start = last.replace(year=last.year - 1) + datetime.timedelta(days=1)
    return f"/admin/stats/statistics/?start={start:%Y-%m}&end={last:%Y-%m}&group={group}"


def queries(today: datetime.date) -> dict[str, int]:
    """SQL statements per page, for each grouping (the same for any amount of data)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=ADMIN))
    counted = {}
    for group in GROUPS:
        with CaptureQueriesContext(connection) as captured:
            client.get(url(today, group), HTTP_HOST="localhost")
        counted[group] = len(captured.captured_queries)
    return counted


def measure(base: str, requests: int, today: datetime.date) -> dict:
    """Times the page for the last twelve months that are over."""
    from bench.setup import ADMIN  # noqa: PLC0415 (after django.setup())

    staff = web.admin_browser(base, ADMIN, PASSWORD)
    for group in GROUPS:
        staff.timed(url(today, group), 2)  # warm-up: connections, templates
    times: dict[str, list[float]] = {group: [] for group in GROUPS}
    for _ in range(max(requests // len(GROUPS), 1)):  # interleaved
        for group in GROUPS:
            times[group] += staff.timed(url(today, group), 1)
    result = {group: web.percentiles(values) for group, values in times.items()}
    result["all"] = web.percentiles([t for values in times.values() for t in values])
    return result


def run(base: str, requests: int, scale: float) -> dict:
    today = timezone.localdate()
    began = time.perf_counter()
    added = fill(today, scale)
    result = {"fill_seconds": round(time.perf_counter() - began, 1), "rows_added": added}
    result["queries"] = queries(today)
    result.update(measure(base, requests, today))
    return result
