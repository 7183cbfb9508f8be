"""Calumet's benchmark: `make bench` (or `python -m bench --scale 0.1`).

Builds a large library in a PostgreSQL database of its own (`calumet_bench`, dropped and
made again on every run), measures the expunge, the portal account page, the desk (its
services, its real pages, its patron search), the SIP2 kiosks, the cost of access
logging, the admin loan list and the statistics page, prints a table and writes
`bench/results/latest.json`. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import time
from pathlib import Path

import django
import psycopg
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from bench.options import TARGETS, parse_args
from bench.report import add_multiples, table

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"


def environment(dsn: str) -> dict[str, str]:
    """Production settings (debug off, whitenoise manifest), on the bench database."""
    return {
        "DJANGO_SETTINGS_MODULE": "calumet.settings",
        "DATABASE_URL": dsn,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_STATIC_ROOT": str(WORK / "static"),
        "CALUMET_PRIVATE_MEDIA_ROOT": str(WORK / "private"),
        "CALUMET_STAFF_2FA": "false",
        "CALUMET_EXPUNGE_VACUUM": "false",  # timed on its own
        "CALUMET_LOG_LEVEL": "WARNING",
        "CALUMET_WEB_WORKERS": "2",
        "CALUMET_WEB_THREADS": "1",
        "CALUMET_SIP2_PROCESSES": "2",  # one per core, as the web's workers
    }


def recreate(server: str, name: str, template: str | None = None) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for db in {name, template} - {None}:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [db],
            )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Step:
    """Prints what runs and how long it took (to stderr, beside the progress bars)."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self):
        self.start = time.perf_counter()
        print(f"-- {self.label} ...", file=sys.stderr, flush=True)
        return self

    def __exit__(self, *exc):
        seconds = time.perf_counter() - self.start
        print(f"   {self.label}: {seconds:.1f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = args.postgres.rstrip("/")
    dsn = f"{server}/{args.db}"
    env = environment(dsn)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    begun = time.perf_counter()

    django.setup()

    # After django.setup(): these load models.
    from bench import (  # noqa: PLC0415
        catalog,
        data,
        desk,
        expunge,
        inventory,
        setup,
        statistics,
        web,
    )

    sizes = data.Sizes.at(args.scale)
    now = timezone.now().replace(microsecond=0)
    results: dict = {
        "scale": args.scale,
        "sizes": sizes.as_dict(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "started_at": now.isoformat(),
        "targets": TARGETS,
        "only": args.only,
    }

    if args.reuse:  # the data of the last --only run, which leaves it as it was
        with Step("migrate the existing database"):
            call_command("migrate", verbosity=0, interactive=False)
            call_command("collectstatic", verbosity=0, interactive=False)
        with Step("vacuum what earlier runs left (as autovacuum would)"):
            results["vacuumed"] = setup.vacuum_dead_rows()
        results["postgres"] = setup.server_version()
    elif args.only == "inventory":  # its own branch is all it needs
        with Step("create the database and migrate"):
            recreate(server, args.db)
            call_command("migrate", verbosity=0, interactive=False)
            call_command("collectstatic", verbosity=0, interactive=False)
        results["postgres"] = setup.server_version()
    elif args.only == "catalog":  # the branches, titles and copies alone
        with Step("create the database and migrate"):
            recreate(server, args.db)
            call_command("migrate", verbosity=0, interactive=False)
            call_command("collectstatic", verbosity=0, interactive=False)
        with Step(f"generate {sizes.titles:,} titles and {sizes.items:,} copies"):
            start = time.perf_counter()
            catalog.generate(dsn, sizes, now, quiet=args.quiet)
            results["generate_seconds"] = round(time.perf_counter() - start, 1)
        results["postgres"] = setup.server_version()
    else:
        with Step("create the database and migrate"):
            recreate(server, args.db)
            call_command("migrate", verbosity=0, interactive=False)
            call_command("collectstatic", verbosity=0, interactive=False)
        with Step(f"generate {sizes.total:,} rows"):
            start = time.perf_counter()
            data.generate(dsn, sizes, now, quiet=args.quiet)
            setup.accounts()
            results["generate_seconds"] = round(time.perf_counter() - start, 1)
            results["postgres"] = setup.server_version()

    if args.only == "catalog":  # generated or reused, the catalog's tables alone
        results["sizes"] = {"patrons": 0, "loans": 0, "titles": sizes.titles, "items": sizes.items}
    log = WORK / "gunicorn.log"
    if args.only == "inventory":
        with Step("inventory of a large branch"):
            results["inventory"] = inventory.measure(args.scale)
        return _finish(args, results, begun)
    if args.only == "desk-search":
        _desk_search(env, log, results)
        _finish(args, results, begun)
        return 1 if _scans_failed(results) else 0
    if args.only in ("desk-page", "kiosk"):
        _desk_page_and_kiosks(args, env, log, results)
        _finish(args, results, begun)
        return 1 if _scans_failed(results) else 0
    if args.only == "load":
        _floor_and_load(args, env, log, results)
        return _finish(args, results, begun)
    with (
        Step("catalog search (gunicorn)"),
        web.gunicorn("calumet.wsgi:application", env, log) as base,
    ):
        results["catalog"] = catalog.measure(base, args.catalog_requests)
    if args.only == "catalog":
        return _finish(args, results, begun)

    with Step("portal account page, audit overhead, admin loan list (gunicorn)"):
        results["portal"] = setup.portal_queries()
        results["admin_loan_list"] = setup.admin_queries()
        with web.gunicorn("calumet.wsgi:application", env, log) as base:
            reader = web.portal_browser(base, data.BENCH_CARD, data.BENCH_PIN)
            reader.timed("/portal/", 20)  # warm-up: connections, template cache
            results["portal"].update(
                web.percentiles(reader.timed("/portal/", args.portal_requests))
            )
            staff = web.admin_browser(base, setup.ADMIN, setup.PASSWORD)
            staff.timed("/admin/circulation/loan/", 3)
            results["admin_loan_list"].update(
                web.percentiles(staff.timed("/admin/circulation/loan/", args.admin_requests))
            )
            # The same site writing an entry on every view (no repeat window): what a
            # first view costs; and the site with access logging switched off.
            every_env = {**env, "CALUMET_AUDIT_REPEAT_MINUTES": "0"}
            with (
                web.gunicorn("calumet.wsgi:application", every_env, log) as every_base,
                web.gunicorn("bench.wsgi_noaudit:application", env, log) as bare_base,
            ):
                every = web.portal_browser(every_base, data.BENCH_CARD, data.BENCH_PIN)
                every.timed("/portal/", 20)
                bare = web.portal_browser(bare_base, data.BENCH_CARD, data.BENCH_PIN)
                bare.timed("/portal/", 20)
                logged, written, unlogged = [], [], []
                rounds = 5
                each = args.portal_requests // rounds
                for _ in range(rounds):  # interleaved, so all see the same machine
                    logged += reader.timed("/portal/", each)
                    written += every.timed("/portal/", each)
                    unlogged += bare.timed("/portal/", each)
        with_log = web.percentiles(logged)
        every_view = web.percentiles(written)
        without = web.percentiles(unlogged)
        results["audit"] = {
            "with_access_log_p50_ms": with_log["p50_ms"],
            "writing_every_view_p50_ms": every_view["p50_ms"],
            "without_access_log_p50_ms": without["p50_ms"],
            "overhead_pct": round(100 * (with_log["p50_ms"] / without["p50_ms"] - 1), 1),
            "overhead_writing_every_view_pct": round(
                100 * (every_view["p50_ms"] / without["p50_ms"] - 1), 1
            ),
            "entries_first_view": results["portal"]["access_entries_first_view"],
            "entries_reload": results["portal"]["access_entries_reload"],
        }

    _floor_and_load(args, env, log, results)

    with Step("desk: check-out + check-in pairs"):
        results["desk"] = desk.measure(args.desk_seconds)
    _desk_page_and_kiosks(args, env, log, results)
    _desk_search(env, log, results)

    raw_db = f"{args.db}_raw"
    with Step("copy the database for the plain-SQL expunge"):
        connections.close_all()
        recreate(server, raw_db, template=args.db)
    with Step("expunge (ours)"):
        ours = expunge.run_ours(now)
    with Step("expunge (plain SQL)"):
        raw = expunge.run_raw(f"{server}/{raw_db}", now)
    drop(server, raw_db)
    results["expunge"] = {
        "ours": ours,
        "raw_sql": raw,
        "speed_vs_raw_sql": round(raw["seconds"] / ours["seconds"], 2) if ours["seconds"] else None,
        "same_outcome": ours["outcome"] == raw["outcome"],
    }
    with (
        Step("statistics page, a year at full size (gunicorn)"),
        web.gunicorn("calumet.wsgi:application", env, log) as base,
    ):
        results["statistics"] = statistics.run(base, args.admin_requests, args.scale)
    with Step("inventory of a large branch"):
        results["inventory"] = inventory.measure(args.scale)
    _finish(args, results, begun)
    failed = not results["expunge"]["same_outcome"] or results["desk"]["double_loans"]
    return 1 if failed or _scans_failed(results) else 0


def _floor_and_load(args: argparse.Namespace, env: dict, log: Path, results: dict) -> None:
    from bench import load, setup, web  # noqa: PLC0415 (after setup)
    from bench.load_side import Side  # noqa: PLC0415 (after setup)
    from circulation.models import Branch  # noqa: PLC0415 (after setup)

    with (
        Step("floor: a trivial page through the same gunicorn, middleware and PostgreSQL"),
        web.gunicorn("bench.wsgi_floor:application", env, log) as base,
    ):
        floor = web.Browser(base)
        floor.timed("/bench-floor/", 20)
        results["floor"] = web.percentiles(floor.timed("/bench-floor/", args.portal_requests))
    with (
        Step(
            f"load: {args.load_users} portal patrons with think time beside {args.load_desks}"
            f" desks and {args.load_kiosks} kiosks, then a sweep without, then a profile"
        ),
        web.gunicorn("calumet.wsgi:application", env, log) as base,
    ):
        # Two desks and ten kiosks at the first branch work beside the patrons.
        side = Side(
            env=env,
            base=base,
            sip2_log=WORK / "sip2server.log",
            clerk=setup.CLERK,
            password=setup.PASSWORD,
            branch=Branch.objects.order_by("pk").first().pk,
            desks=args.load_desks,
            kiosks=args.load_kiosks,
            pause=args.sip2_pause,
        )
        results["load"] = load.measure(
            base, users=args.load_users, seconds=args.load_seconds, think=args.think, side=side
        )


def _scans_failed(results: dict) -> bool:
    """A desk-page scan refused, a kiosk message answered in the negative or a patron
    search that found no one (each looks for a patron who is there): a bug."""
    page, kiosks = results.get("desk_page", {}), results.get("kiosk", {})
    search = results.get("desk_search", {})
    return bool(
        page.get("checkouts_refused")
        or page.get("checkins_refused")
        or kiosks.get("errors")
        or search.get("found_none")
    )


def _desk_page_and_kiosks(args: argparse.Namespace, env: dict, log: Path, results: dict) -> None:
    """The real check-out and check-in pages (bench/desk_page.py) and the SIP2 kiosks
    (bench/kiosk.py), on patrons and copies of their own."""
    from bench import data, desk, desk_page, kiosk, setup, web  # noqa: PLC0415 (after setup)

    patrons = args.desk_page_patrons
    items = patrons * args.desk_page_items
    from circulation.models import Branch  # noqa: PLC0415 (after setup)

    kiosks = args.sip2_sessions
    # The desk and the kiosks work at the first branch and lend its copies (a copy
    # returned elsewhere goes in transit); patrons: the last of those the desk measure
    # used (it puts every copy back on the shelf).
    branch = Branch.objects.order_by("pk").first().pk
    cards, _ = desk.desk_material(400 + patrons + kiosks, 0)
    _, barcodes = desk.desk_material(0, items + kiosks + 2, branch_id=branch)
    desk_cards, kiosk_cards = cards[-(patrons + kiosks) : -kiosks], cards[-kiosks:]
    desk_items, kiosk_items = barcodes[: items + 2], barcodes[items + 2 :]
    if args.only in (None, "desk-page"):
        with Step("desk pages: card and item scans (gunicorn)"):
            results["desk_page"] = desk_page.query_counts(
                setup.CLERK, data.BENCH_CARD, desk_cards[-1], desk_items[-2:], branch
            )
            with web.gunicorn("calumet.wsgi:application", env, log) as base:
                results["desk_page"].update(
                    desk_page.measure(
                        base,
                        setup.CLERK,
                        setup.PASSWORD,
                        desk_cards,
                        desk_items[:-2],
                        args.desk_page_items,
                        branch,
                    )
                )
    if args.only in (None, "kiosk"):
        with Step(f"SIP2: {args.sip2_sessions} kiosks for {args.sip2_seconds:.0f} s"):
            results["kiosk"] = kiosk.measure(
                env,
                WORK / "sip2server.log",
                kiosk_cards,
                kiosk_items,
                branch=branch,
                sessions=args.sip2_sessions,
                seconds=args.sip2_seconds,
                pause=args.sip2_pause,
            )


def _desk_search(env: dict, log: Path, results: dict) -> None:
    """The desk's patron search on the real check-out page (bench/desk_search.py)."""
    from bench import desk_search, setup, web  # noqa: PLC0415 (after setup)
    from circulation.models import Branch  # noqa: PLC0415 (after setup)

    branch = Branch.objects.order_by("pk").first().pk
    with (
        Step("desk: patron search (gunicorn)"),
        web.gunicorn("calumet.wsgi:application", env, log) as base,
    ):
        results["desk_search"] = desk_search.measure(base, setup.CLERK, setup.PASSWORD, branch)


def _finish(args: argparse.Namespace, results: dict, begun: float) -> int:
    results["total_seconds"] = round(time.perf_counter() - begun, 1)
    if "floor" in results:
        add_multiples(results, results["floor"])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    print(f"\nWritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
