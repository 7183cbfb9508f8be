"""What one account page's CPU is spent on (docs/performance.md, "Load"): `pages` renders
of the portal account page in this process through `django.test.Client`, signed in as a
load-test patron, on the bench database and settings, timed by CPU and profiled with
cProfile. Reported: the CPU per page (without the profiler), the pages per second per
core it allows, and the functions that take the most of it (cumulative, per page)."""

from __future__ import annotations

import cProfile
import pstats
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import data

TOP = 15


def _render(client: Client, pages: int) -> None:
    for _ in range(pages):
        response = client.get("/portal/")
        if response.status_code != 200:
            raise RuntimeError(f"the account page answered {response.status_code} in-process")


def _where(key: tuple) -> str:
    path, line, name = key
    short = path.split("site-packages/")[-1].split("/calumet/")[-1]
    return f"{short}:{line}({name})" if line else name


def account(card: str, pages: int, cores: int) -> dict:
    client = Client()
    response = client.post("/portal/login/", {"card_number": card, "pin": data.BENCH_PIN})
    if response.status_code != 302:
        raise RuntimeError(f"in-process sign-in answered {response.status_code}")
    _render(client, 20)  # warm-up: templates, caches, the access log's repeat window
    with CaptureQueriesContext(connection) as queries:
        _render(client, 1)
    cpu, wall = time.process_time(), time.perf_counter()
    _render(client, pages)
    cpu_ms = (time.process_time() - cpu) * 1000 / pages
    wall_ms = (time.perf_counter() - wall) * 1000 / pages
    profiler = cProfile.Profile()
    profiler.enable()
    _render(client, pages)
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)  # type: ignore[attr-defined]
    top = [
        {
            "function": _where(key),
            "cumulative_ms_per_page": round(cumulative * 1000 / pages, 2),
            "own_ms_per_page": round(own * 1000 / pages, 2),
            "calls_per_page": round(calls / pages, 1),
        }
        for key, (_prim, calls, own, cumulative, _callers) in entries[: TOP * 3]
        if "cProfile" not in key[2] and "_render" not in key[2]
    ][:TOP]
    return {
        "pages": pages,
        "queries_per_page": len(queries),
        "cpu_ms_per_page": round(cpu_ms, 2),
        "wall_ms_per_page": round(wall_ms, 2),
        "pages_per_s_per_core_by_cpu": round(1000 / cpu_ms, 1) if cpu_ms else None,
        "pages_per_s_machine_by_cpu": round(cores * 1000 / cpu_ms, 1) if cpu_ms else None,
        "top_cumulative": top,
    }
