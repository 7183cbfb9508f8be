"""Fault drills (`make drills`; docs/deployment.md, "Fault drills").

Each drill starts what it breaks on its own (a private PostgreSQL cluster on 127.0.0.1:55432,
a private Redis on 127.0.0.1:56379, both in a temporary folder, never the machine's shared
servers), does the work, breaks it, and prints what it did and what it found. It exits
non-zero if a transaction or a notice was lost or doubled.

    .venv/bin/python scripts/drills.py [--scale N] [--only NAME ...]

Drills:
  postgres-restart  desk check-outs and kiosk check-ins from several threads while the
                    database restarts: each done once, or refused with a message and
                    done on the next scan; no double loan; service back with no restart
  redis-stop        Redis stopped: the desk and the portal keep working; the hold-ready
                    notice queued while it was down is sent once it is back
  worker-kill       the worker SIGKILLed while it sends a batch of overdue notices: after
                    the next run, every patron has exactly one notice (one Message-ID)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("CALUMET_DRILL_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = int(os.environ.get("CALUMET_DRILL_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("CALUMET_DRILL_REDIS_PORT", "56379"))
DB_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/" + os.environ.get("CALUMET_DRILL_DB", "drill")


def say(text: str) -> None:
    print(text, flush=True)


# -- private servers ------------------------------------------------------------------------


class PrivatePostgres:
    """initdb in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, folder: Path):
        self.data = folder / "pg"
        self.log = folder / "pg.log"
        self.folder = folder

    def start(self) -> None:
        subprocess.run(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"],
            check=True,
            capture_output=True,
            timeout=120,
            **_as_postgres_user(self.folder),
        )
        options = f"-p {PG_PORT} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("start", "-o", options)

    def createdb(self, name: str, template: str | None = None) -> None:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres"]
            + (["-T", template] if template else [])
            + [name],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", *args],
            check=True,
            capture_output=True,
            timeout=60,
            **_as_postgres_user(self.folder),
        )

    def restart(self) -> None:
        self._run("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("stop", "-m", "immediate")


def _as_postgres_user(folder: Path) -> dict:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    if os.geteuid() != 0:
        return {}
    import pwd

    user = pwd.getpwnam("postgres")
    shutil.chown(folder, user.pw_uid, user.pw_gid)
    return {"user": user.pw_uid, "group": user.pw_gid}


class PrivateRedis:
    def __init__(self, folder: Path):
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            done = subprocess.run(
                ["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True
            )
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("the private Redis did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


# -- the Django side (in a child process, with the drill's settings) -----------------------


def _django(email_dir: Path | None = None, redis: bool = False) -> None:
    os.environ["DATABASE_URL"] = DB_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "calumet.settings"
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ["DJANGO_CONN_MAX_AGE"] = "60"
    os.environ["CALUMET_REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0" if redis else ""
    os.environ["DJANGO_EMAIL_BACKEND"] = (
        "django.core.mail.backends.filebased.EmailBackend"
        if email_dir
        else "django.core.mail.backends.locmem.EmailBackend"
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    if email_dir:
        settings.EMAIL_FILE_PATH = str(email_dir)


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _library(patrons: int, items: int, *, on_loan: int = 0):
    """A branch, a clerk, patrons with cards and copies (some out on loan)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from circulation.models import Branch, Item, Loan, Title
    from patrons.models import Card, Patron
    from staff.roles import CIRCULATION_STAFF, sync_roles

    sync_roles(strict=False)
    branch, _ = Branch.objects.get_or_create(code="DR", defaults={"name": "Drill branch"})
    clerk, _ = get_user_model().objects.get_or_create(username="drill-clerk", is_staff=True)
    from django.contrib.auth.models import Group

    clerk.groups.add(Group.objects.get(name=CIRCULATION_STAFF))
    title = Title.objects.create(title="Drill title")
    today = timezone.localdate()
    cards = []
    for n in range(patrons):
        patron = Patron.objects.create(
            first_name=f"Drill{n}",
            last_name="Patron",
            email=f"drill{n}@example.org",
            card_expires_on=today.replace(year=today.year + 1),
            birth_date=today.replace(year=1980),
        )
        cards.append(Card.objects.create(patron=patron, number=f"2999{n:010d}"))
    copies = [
        Item.objects.create(title=title, branch=branch, barcode=f"3999{n:010d}")
        for n in range(items)
    ]
    now = timezone.now()
    for n, item in enumerate(copies[:on_loan]):
        Loan.objects.create(
            item=item,
            patron=cards[n % len(cards)].patron,
            branch=branch,
            checked_out_at=now - timezone.timedelta(days=3),
            due_at=now + timezone.timedelta(days=11),
        )
        item.status = Item.Status.ON_LOAN
        item.save(update_fields=["status"])
    return branch, clerk, cards, copies


def _attempt(operation, outcomes: list, lock: threading.Lock, label: str) -> None:
    """Run one desk or kiosk action as a request would (connections checked before),
    again after a refusal for an unavailable database, as a clerk scans again."""
    from django.db import close_old_connections
    from django.db.utils import DatabaseError, InterfaceError, OperationalError

    from core.refusals import Refused

    tries = []
    for _ in range(100):
        close_old_connections()
        try:
            operation()
        except (OperationalError, InterfaceError) as error:
            tries.append(f"unavailable ({type(error).__name__})")
            from django.db import connection

            connection.close_if_unusable_or_obsolete()
            with contextlib.suppress(DatabaseError):
                connection.close()
            time.sleep(0.2)
            continue
        except Refused as refusal:
            tries.append(f"refused: {refusal}")
            break
        else:
            tries.append("done")
            break
    with lock:
        outcomes.append((label, tries))


def drill_postgres_restart(scale: int, postgres: PrivatePostgres) -> bool:
    _django()
    from django.db import connection

    from circulation import services
    from circulation.models import Loan

    per_desk = 10 * scale
    desks, kiosks = 2, 2
    branch, clerk, cards, copies = _library(
        patrons=8, items=(desks + kiosks) * per_desk, on_loan=kiosks * per_desk
    )
    to_return = copies[: kiosks * per_desk]
    to_lend = copies[kiosks * per_desk :]
    connection.close()
    outcomes: list = []
    lock = threading.Lock()

    def desk(items, card):
        for item in items:
            _attempt(
                lambda item=item: services.loan_checkout(
                    card=card, barcode=item.barcode, actor=clerk, branch=branch
                ),
                outcomes,
                lock,
                f"check-out {item.barcode}",
            )
            time.sleep(0.02)

    def kiosk(items):
        for item in items:
            _attempt(
                lambda item=item: services.loan_return(
                    barcode=item.barcode, actor=clerk, branch=branch
                ),
                outcomes,
                lock,
                f"check-in {item.barcode}",
            )
            time.sleep(0.02)

    threads = [
        threading.Thread(target=desk, args=(to_lend[n::desks], cards[n])) for n in range(desks)
    ] + [threading.Thread(target=kiosk, args=(to_return[n::kiosks],)) for n in range(kiosks)]
    for thread in threads:
        thread.start()
    time.sleep(0.3 * scale)
    started = time.monotonic()
    postgres.restart()
    say(f"  PostgreSQL restarted (pg_ctl restart -m fast) in {time.monotonic() - started:.1f} s")
    for thread in threads:
        thread.join(timeout=120)

    from django.db import close_old_connections

    close_old_connections()
    interrupted = [tries for _label, tries in outcomes if len(tries) > 1]
    messages = sorted({step for tries in interrupted for step in tries if step != "done"})
    doubles = Loan.objects.filter(item__in=to_lend, returned_at__isnull=True).values("item")
    per_item = {}
    for row in doubles:
        per_item[row["item"]] = per_item.get(row["item"], 0) + 1
    lent_once = sum(1 for item in to_lend if per_item.get(item.pk) == 1)
    doubled = sum(1 for count in per_item.values() if count > 1)
    still_out = Loan.objects.filter(item__in=to_return, returned_at__isnull=True).count()
    returned = Loan.objects.filter(item__in=to_return, returned_at__isnull=False).count()
    say(
        f"  actions: {len(outcomes)} ({len(to_lend)} check-outs at 2 desks, "
        f"{len(to_return)} check-ins at 2 kiosks)"
    )
    say(f"  interrupted by the restart and done on a later scan: {len(interrupted)}")
    for message in messages:
        say(f"    what the first scan got: {message}")
    say(
        f"  check-outs: {lent_once} lent exactly once, {doubled} lent twice, "
        f"{len(to_lend) - lent_once - doubled} not lent"
    )
    say(f"  check-ins: {returned} returned once, {still_out} still out")
    ok = (
        lent_once == len(to_lend)
        and doubled == 0
        and still_out == 0
        and returned == len(to_return)
        and len(outcomes) == len(to_lend) + len(to_return)
    )
    # The site's own process carried on after the restart, with no restart of its own.
    after = services.loan_return(barcode=to_lend[0].barcode, actor=clerk, branch=branch)
    say(
        f"  an action after the restart, in the same process: check-in of "
        f"{to_lend[0].barcode} -> {'done' if after.loan else 'nothing'}"
    )
    return ok


def drill_redis_stop(scale: int, redis: PrivateRedis, email_dir: Path) -> bool:
    _django(email_dir=email_dir, redis=True)
    from django.core import mail
    from django.test import Client
    from django.utils import timezone

    from circulation import services
    from circulation.models import Hold

    branch, clerk, cards, copies = _library(patrons=3, items=2, on_loan=1)
    item = copies[0]
    waiting_for = cards[1].patron
    hold = Hold.objects.create(
        title=item.title,
        patron=waiting_for,
        pickup_branch=branch,
        placed_at=timezone.now(),
        status=Hold.Status.PLACED,
    )
    redis.stop()
    say("  Redis stopped")
    result = services.loan_return(barcode=item.barcode, actor=clerk, branch=branch)
    hold.refresh_from_db()
    say(f"  desk check-in with Redis down: loan closed={bool(result.loan)}, hold now {hold.status}")
    portal = Client()
    page = portal.get("/portal/login/", HTTP_HOST="localhost")
    say(f"  portal sign-in page with Redis down: HTTP {page.status_code}")
    sent_before = len(list(email_dir.glob("*.log")))
    redis.start()
    say("  Redis started again; the worker (qcluster) runs for a few seconds")
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        env={**os.environ, "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
        cwd=ROOT,
        stdout=open(email_dir.parent / "worker.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        from django_q.tasks import async_task

        # What the sweep's schedule does every 10 minutes, now: through Redis to the worker.
        queued = async_task("circulation.tasks.send_waiting_hold_notices")
        deadline = time.monotonic() + 20 * scale
        while time.monotonic() < deadline:
            hold.refresh_from_db()
            if hold.notified_at:
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    del mail
    hold.refresh_from_db()
    if not hold.notified_at:
        say((email_dir.parent / "worker.log").read_text()[-3000:])
    say(
        f"  notices queued again when Redis returned: {queued}; "
        f"hold-ready notice sent: {bool(hold.notified_at)}"
    )
    return (
        bool(result.loan)
        and hold.status == Hold.Status.WAITING
        and page.status_code == 200
        and bool(hold.notified_at)
        and sent_before == 0
    )


CHILD_SEND = """
import sys, time
sys.path.insert(0, {root!r} + "/scripts")
from drills import _django
_django(email_dir=__import__('pathlib').Path({mail!r}))
from django.core.mail import EmailMessage
real = EmailMessage.send
def slow(self, *a, **k):
    done = real(self, *a, **k)
    time.sleep({pause})  # the mail server's answer takes a while: the worker dies in it
    return done
EmailMessage.send = slow
from circulation.notices.sending import send_overdue_notices
print(send_overdue_notices(), flush=True)
"""


def drill_worker_kill(scale: int, email_dir: Path) -> bool:
    _django(email_dir=email_dir)
    from django.utils import timezone

    from circulation.models import Loan

    patrons = 10 * scale
    _library(patrons=patrons, items=patrons, on_loan=patrons)
    Loan.objects.update(due_at=timezone.now() - timezone.timedelta(days=3))
    code = CHILD_SEND.format(root=str(ROOT), mail=str(email_dir), pause=0.3)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while len(list(email_dir.glob("*.log"))) < patrons // 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    at_kill = len(list(email_dir.glob("*.log")))
    say(f"  worker SIGKILLed after {at_kill} of {patrons} notices were handed over")
    os.environ["CALUMET_NOTICE_LEASE_SECONDS"] = "0"  # the dead worker's claims expire
    rerun = subprocess.run(
        [sys.executable, "-c", code.replace("time.sleep(0.3)", "time.sleep(0)")],
        cwd=ROOT,
        env={**os.environ, "CALUMET_NOTICE_LEASE_SECONDS": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    say(f"  the next run sent {rerun.stdout.strip() or rerun.stderr.strip()[-300:]}")
    per_patron: dict[str, set] = {}
    copies_sent: dict[str, int] = {}
    for path in email_dir.glob("*.log"):
        for block in path.read_text().split("\n" + "-" * 79 + "\n"):
            to = next((line[4:] for line in block.splitlines() if line.startswith("To: ")), None)
            mid = next(
                (line[12:] for line in block.splitlines() if line.startswith("Message-ID: ")), None
            )
            if to:
                per_patron.setdefault(to, set()).add(mid)
                copies_sent[to] = copies_sent.get(to, 0) + 1
    lost = patrons - len(per_patron)
    doubled = sum(1 for ids in per_patron.values() if len(ids) > 1)
    resent = sum(1 for count in copies_sent.values() if count > 1)
    counts = set(Loan.objects.values_list("overdue_notices_sent", flat=True))
    say(
        f"  patrons notified: {len(per_patron)} of {patrons}; lost {lost}; two different "
        f"notices to one patron: {doubled}; the same notice (one Message-ID) handed over "
        f"twice: {resent}; each loan counted {sorted(counts)} notice(s)"
    )
    return lost == 0 and doubled == 0 and counts == {1}


DRILLS = ("postgres-restart", "redis-stop", "worker-kill")


def run_one(name: str, scale: int) -> bool:
    """In this process (the database prepared by the parent): run one drill."""
    postgres_folder = Path(os.environ["CALUMET_DRILL_FOLDER"])
    postgres = PrivatePostgres(postgres_folder)
    folder = Path(tempfile.mkdtemp(prefix=f"calumet-drill-{name}-"))
    redis = PrivateRedis(folder)
    email_dir = folder / "mail"
    email_dir.mkdir()
    try:
        if name == "migrate":
            _django()
            _migrate()
            return True
        if name == "postgres-restart":
            return drill_postgres_restart(scale, postgres)
        if name == "redis-stop":
            redis.start()
            return drill_redis_stop(scale, redis, email_dir)
        if name == "worker-kill":
            return drill_worker_kill(scale, email_dir)
        raise SystemExit(f"unknown drill {name}")
    finally:
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="1 is CI's small scale")
    parser.add_argument("--only", action="append", choices=DRILLS)
    parser.add_argument("--child", choices=(*DRILLS, "migrate"), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per drill")
    args = parser.parse_args()
    if args.child:
        ok = run_one(args.child, args.scale)
        print(json.dumps({"ok": ok}), flush=True)
        return 0 if ok else 1
    failed = []
    folder = Path(tempfile.mkdtemp(prefix="calumet-drills-"))
    postgres = PrivatePostgres(folder)

    def child(name: str, database: str) -> bool:
        env = {**os.environ, "CALUMET_DRILL_FOLDER": str(folder), "CALUMET_DRILL_DB": database}
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", name, "--scale", str(args.scale)],
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
            f"Private PostgreSQL on 127.0.0.1:{PG_PORT} ready, migrated "
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
