"""The drills' private PostgreSQL and Redis, and the Django set-up of a drill's process.

Ports: CALUMET_DRILL_PG_PORT and CALUMET_DRILL_REDIS_PORT if set, else free ports the
parent chooses (`choose_ports`) and hands to every child in the environment, so two runs
on one machine, and the machine's own servers (5432, 6379), never meet."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import django
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent
PG_BIN = Path(os.environ.get("CALUMET_DRILL_PG_BIN", "/usr/lib/postgresql/15/bin"))


def say(text: str) -> None:
    print(text, flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def choose_ports() -> None:
    """In the parent: a free port for each private server, unless given."""
    for var in ("CALUMET_DRILL_PG_PORT", "CALUMET_DRILL_REDIS_PORT"):
        if not os.environ.get(var):
            os.environ[var] = str(_free_port())


def pg_port() -> int:
    return int(os.environ["CALUMET_DRILL_PG_PORT"])


def redis_port() -> int:
    return int(os.environ["CALUMET_DRILL_REDIS_PORT"])


def database_url() -> str:
    name = os.environ.get("CALUMET_DRILL_DB", "drill")
    return f"postgres://postgres@127.0.0.1:{pg_port()}/{name}"


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
        options = f"-p {pg_port()} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("start", "-o", options)

    def createdb(self, name: str, template: str | None = None) -> None:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(pg_port()), "-U", "postgres"]
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
    user = pwd.getpwnam("postgres")
    shutil.chown(folder, user.pw_uid, user.pw_gid)
    return {"user": user.pw_uid, "group": user.pw_gid}


class PrivateRedis:
    def __init__(self, folder: Path):
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        port = str(redis_port())
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                port,
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
                ["redis-cli", "-p", port, "ping"], capture_output=True, text=True, check=False
            )
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("the private Redis did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


def django_setup(email_dir: Path | None = None, redis: bool = False) -> None:
    """Django in this process, on the drill's database (and Redis, and mail folder)."""
    os.environ["DATABASE_URL"] = database_url()
    os.environ["DJANGO_SETTINGS_MODULE"] = "calumet.settings"
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ["DJANGO_CONN_MAX_AGE"] = "60"
    os.environ["CALUMET_REDIS_URL"] = f"redis://127.0.0.1:{redis_port()}/0" if redis else ""
    os.environ["DJANGO_EMAIL_BACKEND"] = (
        "django.core.mail.backends.filebased.EmailBackend"
        if email_dir
        else "django.core.mail.backends.locmem.EmailBackend"
    )
    sys.path.insert(0, str(ROOT))
    django.setup()
    if email_dir:
        settings.EMAIL_FILE_PATH = str(email_dir)
