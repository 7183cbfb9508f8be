"""Backups that obey the retention policy (docs/deployment.md, "Backups").

`backup()` writes an encrypted PostgreSQL dump (pg_dump's custom format, encrypted by
`privacy.backup_crypto`) and a copy of the erasure journal into CALUMET_BACKUP_DIR, then
`prune()` deletes backups older than the retention allows and the journal entries no kept
backup needs. Restoring one is `privacy.restores`.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import connection
from django.utils import timezone

from privacy.acting import service
from privacy.backup_crypto import BackupError, encrypt_stream, key_path, load_key
from privacy.erasures import as_rows
from privacy.erasures import prune as prune_journal
from privacy.models import ErasureJournal
from privacy.selectors import longest_retention_days

SUFFIX_DUMP = ".dump.enc"
SUFFIX_JOURNAL = ".journal.enc"
STAMP = "%Y%m%dT%H%M%S%fZ"


# -- backup --------------------------------------------------------------------------------


@dataclass
class BackupFile:
    path: Path
    taken_at: datetime.datetime

    @property
    def journal_path(self) -> Path:
        return self.path.with_name(self.path.name.removesuffix(SUFFIX_DUMP) + SUFFIX_JOURNAL)


def _private(path: Path) -> BinaryIO:
    """A new file only its owner may read (encrypted or not, a backup is nobody's else)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def backup_dir() -> Path:
    return Path(settings.CALUMET_BACKUP_DIR)


def _check_key_not_beside(folder: Path) -> None:
    key = key_path().resolve()
    if key.parent == folder.resolve() or folder.resolve() in key.parents:
        raise BackupError(
            f"The backup key {key} is in the backup folder {folder}: keep it elsewhere, or "
            "whoever has the backups has the key too."
        )


def backups(folder: Path | None = None) -> list[BackupFile]:
    """The backups in the folder, oldest first (by the time in their names)."""
    folder = folder or backup_dir()
    found = []
    for path in folder.glob(f"calumet-*{SUFFIX_DUMP}"):
        stamp = path.name.removeprefix("calumet-").removesuffix(SUFFIX_DUMP)
        try:
            taken = datetime.datetime.strptime(stamp, STAMP).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
        found.append(BackupFile(path, taken))
    return sorted(found, key=lambda backup: backup.taken_at)


def keep_days() -> int:
    """The days a backup is kept: the setting, but never longer than the longest
    retention in force (a backup that old holds records the library promised are gone)."""
    longest = longest_retention_days()
    wanted = settings.CALUMET_BACKUP_KEEP_DAYS
    return longest if wanted is None else min(wanted, longest)


def pg_env(db: dict, name: str | None = None) -> dict:
    env = dict(os.environ)
    for var, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", name or db.get("NAME")),
    ):
        if value:
            env[var] = str(value)
    return env


def pg_tool(name: str) -> str:
    """The full path of a PostgreSQL client program."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return path


def require_postgresql() -> dict:
    if connection.vendor != "postgresql":
        raise BackupError(
            "Backups are for PostgreSQL (DATABASE_URL=postgres://...); a SQLite file is "
            "copied with the server stopped, and obeys the same retention."
        )
    return connection.settings_dict


@service
def backup(
    *, actor, now: datetime.datetime | None = None, folder: Path | None = None
) -> BackupFile:
    """Dump the database, encrypted, then prune. Returns the new backup."""
    db = require_postgresql()
    folder = folder or backup_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _check_key_not_beside(folder)
    key = load_key()
    # The time before the dump begins: any erasure after it is replayed at a restore (if
    # the dump already holds it, making it again changes nothing).
    taken_at = now or timezone.now()
    name = f"calumet-{taken_at.astimezone(datetime.UTC).strftime(STAMP)}"
    target = BackupFile(folder / f"{name}{SUFFIX_DUMP}", taken_at)
    partial = target.path.with_suffix(".partial")
    meta = {"taken_at": taken_at.isoformat(), "what": "pg_dump"}
    process = subprocess.Popen(  # noqa: S603 (our arguments only)
        [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=pg_env(db),
    )
    try:
        with _private(partial) as out:
            encrypt_stream(process.stdout, out, key, meta)
        error = process.stderr.read().decode(errors="replace")
        if process.wait() != 0:
            raise BackupError(f"pg_dump failed: {error.strip()}")
        partial.rename(target.path)
    finally:
        if process.poll() is None:
            process.kill()
        partial.unlink(missing_ok=True)
    _write_journal_copy(target, key)
    prune(now=taken_at, folder=folder, actor=actor)
    return target


def _write_journal_copy(target: BackupFile, key: bytes) -> None:
    """The journal beside the dump, on its own, so that restoring an older backup can
    repeat the erasures this newer one knows of without restoring it."""
    rows = as_rows(ErasureJournal.objects.all())
    meta = {"taken_at": target.taken_at.isoformat(), "what": "erasure journal"}
    partial = target.journal_path.with_suffix(".partial")
    with _private(partial) as out:
        encrypt_stream(io.BytesIO(json.dumps(rows).encode()), out, key, meta)
    partial.rename(target.journal_path)


@service
def prune(*, actor, now: datetime.datetime | None = None, folder: Path | None = None) -> list[Path]:
    """Delete backups older than `keep_days()`, and the journal entries older than the
    oldest backup kept. Returns the files deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=keep_days())
    gone = []
    kept = []
    for found in backups(folder):
        if found.taken_at < cutoff:
            for path in (found.path, found.journal_path):
                if path.exists():
                    path.unlink()
                    gone.append(path)
        else:
            kept.append(found)
    oldest = kept[0].taken_at if kept else now
    prune_journal(before=oldest)
    return gone
