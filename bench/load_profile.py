"""What one account page's CPU is spent on (docs/performance.md, "Load"): `pages` renders
of the portal account page in this process through `django.test.Client`, signed in as a
load-test patron, on the bench database and settings, timed by CPU and profiled with
cProfile. Reported: the CPU per page (without the profiler), the pages per second per
core it allows, and the functions that take the most of it (cumulative, per page)."""

from __future__ import annotations

import cProfile
import pstats
import time
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import data

TOP = 15
ROOT = str(Path(__file__).resolve().parent.parent)


def _render(client: Client, pages: int) -> None:
    for _ in range(pages):
        response = client.get("/portal/")
        if response.status_code != 200:
            raise RuntimeError(f"the account page answered {response.status_code} in-process")


def _where(key: tuple) -> str:
    path, line, name = key
    short = path.split("site-packages/")[-1].removeprefix(ROOT).lstrip("/")
    return f"{short}:{line}({name})" if line else name


def _area(path: str) -> str:
    """Who spends the time: a Django part, a library, a Calumet app, or C builtins."""
    if path == "~" or path.startswith("<"):
        return "builtins (C: str, re, dict, the driver's socket)"
    if "site-packages/" in path:
        rest = path.split("site-packages/")[-1].split("/")
        if rest[0] == "django":
            return f"django.{rest[1]}" if len(rest) > 2 else "django"
        return rest[0].removesuffix(".py")
    if path.startswith(ROOT):
        return "calumet (the project's own code)"
    return "Python standard library"


def account(card: str, pages: int, cores: int) -> dict:
    client = Client()
    response = client.post("/portal/login/", {"card_number": card, "pin": data.BENCH_PIN})
    if response.status_code != 302:
        raise RuntimeError(f"in-process sign-in answered {response.status_code}")
    _render(client, 20)  # warm-up: templates, caches, the access log's repeat window
    with CaptureQueriesContext(connection) as captured:
        _render(client, 1)
    queries = len(captured)  # now: each request clears the log it reads
    cpu, wall = time.process_time(), time.perf_counter()
    _render(client, pages)
    cpu_ms = (time.process_time() - cpu) * 1000 / pages
    wall_ms = (time.perf_counter() - wall) * 1000 / pages
    profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for PostgreSQL
    profiler.enable()
    _render(client, pages)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(own for _prim, _calls, own, _cum, _callers in stats.values())
    areas: dict[str, float] = {}
    for key, (_prim, _calls, own, _cum, _callers) in stats.items():
        areas[_area(key[0])] = areas.get(_area(key[0]), 0.0) + own
    by_area = [
        {"area": area, "share_pct": round(100 * own / total, 1)}
        for area, own in sorted(areas.items(), key=lambda item: item[1], reverse=True)
        if own / total >= 0.01
    ]

    def listed(entries, wanted):
        return [
            {
                "function": _where(key),
                "cumulative_pct": round(100 * cumulative / total, 1),
                "own_pct": round(100 * own / total, 1),
                "calls_per_page": round(calls / pages, 1),
            }
            for key, (_prim, calls, own, cumulative, _callers) in entries
            if wanted(key, cumulative)
        ][:TOP]

    # By cumulative time, below the middleware chain that every page passes through
    # (each of those holds nearly all of it and says nothing).
    cumulative = sorted(stats.items(), key=lambda item: item[1][3], reverse=True)
    own = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)
    return {
        "pages": pages,
        "queries_per_page": queries,
        "cpu_ms_per_page": round(cpu_ms, 2),
        "wall_ms_per_page": round(wall_ms, 2),
        "pages_per_s_per_core_by_cpu": round(1000 / cpu_ms, 1) if cpu_ms else None,
        "pages_per_s_machine_by_cpu": round(cores * 1000 / cpu_ms, 1) if cpu_ms else None,
        "profiled_by": "cProfile, CPU time (shares: the profiler's own cost spread over all)",
        "by_area": by_area,
        "top_cumulative": listed(
            cumulative, lambda key, cum: cum < 0.7 * total and "_render" not in key[2]
        ),
        "top_own": listed(own, lambda key, cum: True),
        "calumet_cumulative": listed(
            cumulative, lambda key, cum: _area(key[0]).startswith("calumet") and cum < 0.9 * total
        ),
    }
