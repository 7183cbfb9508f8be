"""Restoring a backup (docs/deployment.md, "Restoring a backup").

`restore()` decrypts a backup into a fresh database and marks it *pending*
(`RestorePending`): the site, the worker and the SIP2 server refuse to start on it
(`privacy.checks`, `calumet/wsgi.py`). `finish_restore()`, run on the restored database,
then migrates it, takes in the newer copies of the erasure journal, makes again every
erasure made since the backup was taken, runs the expunge as of now, ends every session,
and only then clears the mark. It can be run again if it is interrupted.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from privacy import erasures, retention
from privacy.acting import service
from privacy.backup_crypto import BackupError, decrypt_stream, load_key
from privacy.backups import backups, pg_env, pg_tool, require_postgresql
from privacy.erasures import as_rows
from privacy.models import ErasureJournal, RestorePending

# -- restore -------------------------------------------------------------------------------


def _journal_rows_from(path: Path, key: bytes) -> list[dict]:
    with open(path, "rb") as source:
        _meta, chunks = decrypt_stream(source, key)
        return json.loads(b"".join(chunks))


def newer_journal_rows(taken_at: datetime.datetime, key: bytes, folder: Path) -> list[dict]:
    """The journal of the newest backup taken after this one, if any."""
    newer = [found for found in backups(folder) if found.taken_at > taken_at]
    for found in reversed(newer):
        if found.journal_path.exists():
            return _journal_rows_from(found.journal_path, key)
    return []


def live_journal_rows() -> list[dict]:
    """The journal of the configured database, if it is there (a restore after a bad
    migration or a mistake, not after a lost disk)."""
    try:
        return as_rows(ErasureJournal.objects.all())
    except DatabaseError:
        return []


def database_url(db: dict, name: str) -> str:
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(name, safe='')}"


@service
def restore(
    path: Path,
    *,
    actor,
    into: str,
    key_file: Path | None = None,
    use_live_journal: bool = True,
    out=sys.stdout,
) -> dict:
    """Restore a backup into the new database `into`, then finish it (a separate
    process on that database, `manage.py restore --finish`). Returns what it did."""
    db = require_postgresql()
    key = load_key(key_file)
    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    if into == db.get("NAME"):
        raise BackupError("Restore into a new database, never over the one in use.")
    with open(path, "rb") as source:
        meta, chunks = decrypt_stream(source, key)  # a wrong key stops here
        taken_at = datetime.datetime.fromisoformat(meta["taken_at"])
        rows = newer_journal_rows(taken_at, key, path.parent)
        if use_live_journal:
            rows += live_journal_rows()
        env = pg_env(db, name=into)
        created = subprocess.run(  # noqa: S603 (the name is one argument)
            [pg_tool("createdb"), "--", into], env=env, capture_output=True, text=True, check=False
        )
        if created.returncode != 0:
            raise BackupError(
                f"Cannot create the database {into!r} ({created.stderr.strip()}); restore "
                "into a new database."
            )
        out.write(f"Restoring the backup of {taken_at:%Y-%m-%d %H:%M} UTC into {into}.\n")
        process = subprocess.Popen(  # noqa: S603 (the name is one argument)
            [pg_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--dbname", into],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            for chunk in chunks:
                process.stdin.write(chunk)
            process.stdin.close()
        except BackupError:
            process.kill()
            raise
        except BrokenPipeError:
            pass
        error = process.stderr.read().decode(errors="replace")
        if process.wait() != 0:
            raise BackupError(f"pg_restore failed: {error.strip()}")
    # Marked pending at once: nothing may open on it until it is brought up to date.
    _mark_pending(db, into, taken_at)
    finishing = subprocess.run(  # noqa: S603 (this very program)
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "restore", "--finish"],
        input=json.dumps(rows),
        text=True,
        env={**os.environ, "DATABASE_URL": database_url(db, into)},
        capture_output=True,
        check=False,
    )
    out.write(finishing.stdout)
    if finishing.returncode != 0:
        raise BackupError(
            f"The restored database {into} is NOT ready: {finishing.stderr.strip()} "
            f"Fix the cause and run `DATABASE_URL=<{into}> manage.py restore --finish`."
        )
    return {"taken_at": taken_at, "into": into, "journal_rows": len(rows)}


def _mark_pending(db: dict, name: str, taken_at: datetime.datetime) -> None:
    params = {"dbname": name}
    for key, setting in (("host", "HOST"), ("port", "PORT"), ("user", "USER")):
        if db.get(setting):
            params[key] = str(db[setting])
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO privacy_restorepending (backup_taken_at, restored_at) VALUES (%s, now())",
            [taken_at],
        )


@service
def finish_restore(
    *,
    actor,
    journal_rows: list[dict] | None = None,
    now: datetime.datetime | None = None,
    out=sys.stdout,
) -> dict:
    """On the restored database (the default connection): migrate, take in the newer
    journal, repeat every erasure since the backup, expunge as of now, end every session,
    then clear the pending mark. Safe to run again."""
    call_command("migrate", verbosity=0, skip_checks=True, interactive=False)
    pending = RestorePending.objects.order_by("backup_taken_at").first()
    if pending is None:
        out.write("This database has no restore to finish.\n")
        return {}
    now = now or timezone.now()
    added = erasures.import_rows(journal_rows or [])
    replayed = erasures.replay(since=erasures.day_of(pending.backup_taken_at), now=now)
    out.write(f"Erasures since the backup made again: {replayed} ({added} new in the journal).\n")
    result = retention.expunge(now=now, trigger="restore")
    out.write(f"Expunged as of now: {result.total} records (run #{result.run.pk}).\n")
    with transaction.atomic():
        # Sessions of the backup's time: every patron and staff member signs in again.
        ended = Session.objects.all().delete()[0]
        RestorePending.objects.all().delete()
    out.write(f"Sessions ended: {ended}. The database is ready; the site may open on it.\n")
    return {"replayed": replayed, "expunged": result.total, "sessions": ended}


def restore_pending() -> bool:
    """Whether this database is a restore not yet brought up to date (False when the
    table is not there yet: an unmigrated database)."""
    try:
        return RestorePending.objects.exists()
    except DatabaseError:
        return False


RESTORE_PENDING_MESSAGE = (
    "This database was restored from a backup and has not been brought up to date: "
    "erasures made since the backup and the expunge as of now are not applied yet. Run "
    "`manage.py restore --finish` on it before starting the site, the worker or SIP2."
)


def refuse_if_restore_pending() -> None:
    if restore_pending():
        raise ImproperlyConfigured(RESTORE_PENDING_MESSAGE)
