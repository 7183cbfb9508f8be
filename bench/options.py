"""The benchmark's targets and its command line (`python -m bench --help`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

TARGETS = {
    "expunge_seconds": 120,
    "expunge_speed_vs_raw_sql": 0.5,
    "portal_p95_ms": 50,
    "desk_pairs_per_s": 100,
    "audit_overhead_pct": 25,
    "admin_loan_list_p95_ms": 300,
    "catalog_search_p95_ms": 100,
    "statistics_p95_ms": 500,
    "desk_scan_p95_ms": 150,
    "desk_search_p95_ms": 100,
    "kiosk_p95_ms": 100,
    "kiosk_errors": 0,
    # Multiples of the floor (a trivial page through the same gunicorn, middleware and
    # PostgreSQL round trip, measured in the same run): they travel between machines.
    # Each is the target in milliseconds above over the floor's p95 of the first quiet
    # full-size run that measured a floor (1.89 ms), rounded down (docs/performance.md).
    "portal_p95_x_floor": 25,
    "catalog_search_p95_x_floor": 50,
    "load_p95_ms": 1000,
    "load_errors": 0,
    "inventory_upload_seconds": 30,
    "inventory_report_ms": 3000,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Calumet's benchmark: a large library in a PostgreSQL database of its own.",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiplies the data set (0.01: a quick run)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database name); the bench makes its own databases",
    )
    parser.add_argument("--db", default="calumet_bench", help="database name (dropped first)")
    parser.add_argument("--portal-requests", type=int, default=500)
    parser.add_argument("--admin-requests", type=int, default=50)
    parser.add_argument("--desk-seconds", type=float, default=10.0)
    parser.add_argument("--catalog-requests", type=int, default=600)
    parser.add_argument(
        "--desk-page-patrons",
        type=int,
        help="patrons served at the real check-out page (default: 40, 5 below scale 0.1)",
    )
    parser.add_argument("--desk-page-items", type=int, default=5, help="items per patron")
    parser.add_argument(
        "--sip2-sessions", type=int, help="kiosks at once (default: 50, 5 below scale 0.1)"
    )
    parser.add_argument(
        "--sip2-seconds",
        type=float,
        help="how long the kiosks run (default: 90 at full size, 40 at 0.1, 8 below)",
    )
    parser.add_argument(
        "--sip2-pause", type=float, default=1.0, help="seconds a kiosk waits between messages"
    )
    parser.add_argument(
        "--only",
        choices=["catalog", "desk-page", "desk-search", "inventory", "kiosk", "load"],
        help="measure only this scenario (the data set is generated in full all the same, but "
        "for catalog, which makes only the branches, titles and copies, and inventory, which "
        "makes a branch of its own)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --only: keep the database of the last such run instead of generating it "
        "again (the expunge changes the data, so a full run needs a new one)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "latest.json", help="where the JSON goes"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--load-users", type=int, help="portal patrons at once (default: 40, 4 below scale 0.1)"
    )
    parser.add_argument(
        "--load-seconds",
        type=float,
        help="how long they work (default: 120, 45 below 0.1: one round)",
    )
    parser.add_argument(
        "--load-desks", type=int, default=2, help="desks working during the load (2)"
    )
    parser.add_argument(
        "--load-kiosks", type=int, default=10, help="kiosks working during the load (10)"
    )
    parser.add_argument(
        "--think", default="3,8", help="a patron's pause between pages, in seconds: MIN,MAX"
    )
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 10:
        parser.error("--scale must be above 0 and at most 10")
    if args.reuse and not args.only:
        parser.error("--reuse only goes with --only")
    small = args.scale < 0.1
    if args.load_users is None:
        args.load_users = 4 if small else 40
    if args.load_seconds is None:
        args.load_seconds = 45.0 if small else 120.0
    low, _comma, high = args.think.partition(",")
    args.think = (float(low), float(high or low))
    if args.desk_page_patrons is None:
        args.desk_page_patrons = 5 if small else 40
    if args.sip2_sessions is None:
        args.sip2_sessions = 5 if small else 50
    if args.sip2_seconds is None:
        args.sip2_seconds = 8.0 if small else (90.0 if args.scale >= 1 else 40.0)
    return args
