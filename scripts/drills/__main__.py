"""`python -m scripts.drills`: run the drills, each in a child process of its own on a copy
of a migrated database in the private PostgreSQL (see the package's docstring)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts import drills
from scripts.drills.servers import (
    ROOT,
    PrivatePostgres,
    PrivateRedis,
    choose_ports,
    django_setup,
    pg_port,
    say,
)

DRILLS = ("postgres-restart", "redis-stop", "worker-kill")


def run_one(name: str, scale: int) -> bool:
    """In a child process (the database prepared by the parent): run one drill. The
    drill's module is imported once Django is set up: it imports models at its top."""
    postgres = PrivatePostgres(Path(os.environ["CALUMET_DRILL_FOLDER"]))
    folder = Path(tempfile.mkdtemp(prefix=f"calumet-drill-{name}-"))
    redis = PrivateRedis(folder)
    email_dir = folder / "mail"
    email_dir.mkdir()
    try:
        if name == "migrate":
            django_setup()
            from django.core.management import call_command  # noqa: PLC0415 (after setup)

            call_command("migrate", verbosity=0, interactive=False)
            return True
        if name == "postgres-restart":
            django_setup()
            from scripts.drills import postgres_restart  # noqa: PLC0415 (after setup)

            return postgres_restart.drill(scale, postgres)
        if name == "redis-stop":
            redis.start()
            django_setup(email_dir=email_dir, redis=True)
            from scripts.drills import redis_stop  # noqa: PLC0415 (after setup)

            return redis_stop.drill(scale, redis, email_dir)
        if name == "worker-kill":
            django_setup(email_dir=email_dir)
            from scripts.drills import worker_kill  # noqa: PLC0415 (after setup)

            return worker_kill.drill(scale, email_dir)
        raise SystemExit(f"unknown drill {name}")
    finally:
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=drills.__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="1 is CI's small scale")
    parser.add_argument("--only", action="append", choices=DRILLS)
    parser.add_argument("--child", choices=(*DRILLS, "migrate"), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per drill")
    args = parser.parse_args()
    if args.child:
        ok = run_one(args.child, args.scale)
        print(json.dumps({"ok": ok}), flush=True)
        return 0 if ok else 1
    choose_ports()
    failed = []
    folder = Path(tempfile.mkdtemp(prefix="calumet-drills-"))
    postgres = PrivatePostgres(folder)

    def child(name: str, database: str) -> bool:
        env = {**os.environ, "CALUMET_DRILL_FOLDER": str(folder), "CALUMET_DRILL_DB": database}
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "scripts.drills",
                    "--child",
                    name,
                    "--scale",
                    str(args.scale),
                ],
                cwd=ROOT,
                env=env,
                timeout=args.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            say(f"  timed out after {args.timeout} s")
            return False
        return done.returncode == 0

    try:
        started = time.monotonic()
        postgres.start()
        postgres.createdb("drill_template")
        if not child("migrate", "drill_template"):
            say("The drills' database could not be migrated.")
            return 1
        say(
            f"Private PostgreSQL on 127.0.0.1:{pg_port()} ready, migrated "
            f"({time.monotonic() - started:.0f} s)"
        )
        for name in args.only or DRILLS:
            say(f"== drill: {name}")
            started = time.monotonic()
            database = "drill_" + name.replace("-", "_")
            postgres.createdb(database, template="drill_template")
            ok = child(name, database)
            say(f"== {name}: {'PASSED' if ok else 'FAILED'} ({time.monotonic() - started:.0f} s)")
            if not ok:
                failed.append(name)
    finally:
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if failed:
        say(f"Drills failed: {', '.join(failed)}")
        return 1
    say("Every drill passed: nothing lost, nothing doubled.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
