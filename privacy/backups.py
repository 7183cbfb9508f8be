"""Backups that obey the retention policy (docs/deployment.md, "Backups").

`backup()` writes an encrypted PostgreSQL dump (pg_dump's custom format, AES-256-GCM in
authenticated chunks with the `cryptography` library) and a copy of the erasure journal
into CALUMET_BACKUP_DIR, then deletes backups older than the retention allows and the
journal entries no kept backup needs. The key is a file the library holds
(CALUMET_BACKUP_KEY_FILE), never in the backup folder.

`restore()` decrypts a backup into a fresh database and marks it *pending*
(`RestorePending`): the site, the worker and the SIP2 server refuse to start on it
(`privacy.checks`). `finish_restore()`, run on the restored database, then migrates it,
takes in the newer copies of the erasure journal, makes again every erasure made since
the backup was taken, runs the expunge as of now, ends every session, and only then
clears the mark. It can be run again if it is interrupted.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

MAGIC = b"CALUMET-BACKUP\x00\x01"
CHUNK = 1 << 20
SUFFIX_DUMP = ".dump.enc"
SUFFIX_JOURNAL = ".journal.enc"
STAMP = "%Y%m%dT%H%M%S%fZ"


class BackupError(Exception):
    """A backup or a restore cannot go on; the message says why and what to do."""


# -- the key --------------------------------------------------------------------------------


def key_path() -> Path:
    if not settings.CALUMET_BACKUP_KEY_FILE:
        raise BackupError(
            "No backup key: set CALUMET_BACKUP_KEY_FILE to a key file the library keeps "
            "away from the backups (make one with `manage.py backup --new-key PATH`)."
        )
    return Path(settings.CALUMET_BACKUP_KEY_FILE)


def new_key(path: Path) -> Path:
    """Write a new random key (readable by its owner only); never overwrite one."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already; a key is never overwritten.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    return path


def load_key(path: Path | None = None) -> bytes:
    path = Path(path) if path else key_path()
    try:
        text = path.read_text().strip()
    except OSError as error:
        raise BackupError(f"The backup key {path} cannot be read ({error.strerror}).") from None
    try:
        key = base64.urlsafe_b64decode(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BackupError(f"{path} is not a backup key (32 random bytes, base64).")
    return key


def key_id(key: bytes) -> str:
    """A name for the key that says nothing about it."""
    return hmac.new(key, b"calumet backup key id", hashlib.sha256).hexdigest()[:16]


# -- the encrypted container ----------------------------------------------------------------


def _aad(header: bytes, counter: int, final: bool) -> bytes:
    return hashlib.sha256(header).digest() + struct.pack(">I?", counter, final)


def encrypt_stream(source: BinaryIO, out: BinaryIO, key: bytes, meta: dict) -> None:
    """MAGIC, the header (JSON: the metadata, the key's id, the nonce prefix), then chunks:
    each a final flag, a length and the AES-GCM ciphertext of up to 1 MiB. The header,
    the chunk's number and its flag are authenticated with it, so a file cut short, with
    chunks reordered or with another header does not decrypt."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    prefix = secrets.token_bytes(8)
    header = json.dumps(
        {**meta, "format": 1, "key_id": key_id(key), "nonce": prefix.hex()}, sort_keys=True
    ).encode()
    out.write(MAGIC + struct.pack(">I", len(header)) + header)
    aead = AESGCM(key)
    counter = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if chunk else b""
        final = not following
        nonce = prefix + struct.pack(">I", counter)
        sealed = aead.encrypt(nonce, chunk, _aad(header, counter, final))
        out.write(struct.pack(">?I", final, len(sealed)) + sealed)
        if final:
            return
        counter += 1
        chunk = following


def read_header(source: BinaryIO) -> tuple[dict, bytes]:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("This file is not a Calumet backup.")
    (length,) = struct.unpack(">I", source.read(4))
    header = source.read(length)
    try:
        return json.loads(header), header
    except ValueError:
        raise BackupError("This backup's header is damaged.") from None


def decrypt_stream(source: BinaryIO, key: bytes) -> tuple[dict, Iterator[bytes]]:
    """(metadata, the plaintext chunks). Refuses, before any plaintext, a backup made
    with another key; a damaged chunk stops the stream with BackupError."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    meta, header = read_header(source)
    if meta.get("key_id") != key_id(key):
        raise BackupError(
            "This backup was encrypted with another key: the key file given cannot open it "
            "(wrong key). Nothing was restored."
        )
    prefix = bytes.fromhex(meta["nonce"])
    aead = AESGCM(key)

    def chunks() -> Iterator[bytes]:
        counter = 0
        while True:
            head = source.read(5)
            if len(head) < 5:
                raise BackupError("This backup is cut short (its last part is missing).")
            final, length = struct.unpack(">?I", head)
            sealed = source.read(length)
            try:
                yield aead.decrypt(
                    prefix + struct.pack(">I", counter), sealed, _aad(header, counter, final)
                )
            except InvalidTag:
                raise BackupError("This backup is damaged (a part fails its check).") from None
            if final:
                return
            counter += 1

    return meta, chunks()


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
    from privacy.selectors import longest_retention_days

    longest = longest_retention_days()
    wanted = settings.CALUMET_BACKUP_KEEP_DAYS
    return longest if wanted is None else min(wanted, longest)


def _pg_env(db: dict, name: str | None = None) -> dict:
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


def _tool(name: str) -> str:
    """The full path of a PostgreSQL client program."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return path


def _require_postgresql() -> dict:
    if connection.vendor != "postgresql":
        raise BackupError(
            "Backups are for PostgreSQL (DATABASE_URL=postgres://...); a SQLite file is "
            "copied with the server stopped, and obeys the same retention."
        )
    return connection.settings_dict


def backup(*, now: datetime.datetime | None = None, folder: Path | None = None) -> BackupFile:
    """Dump the database, encrypted, then prune. Returns the new backup."""
    db = _require_postgresql()
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
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_pg_env(db),
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
    prune(now=taken_at, folder=folder)
    return target


def _write_journal_copy(target: BackupFile, key: bytes) -> None:
    """The journal beside the dump, on its own, so that restoring an older backup can
    repeat the erasures this newer one knows of without restoring it."""
    import io

    from privacy.erasures import as_rows
    from privacy.models import ErasureJournal

    rows = as_rows(ErasureJournal.objects.all())
    meta = {"taken_at": target.taken_at.isoformat(), "what": "erasure journal"}
    partial = target.journal_path.with_suffix(".partial")
    with _private(partial) as out:
        encrypt_stream(io.BytesIO(json.dumps(rows).encode()), out, key, meta)
    partial.rename(target.journal_path)


def prune(*, now: datetime.datetime | None = None, folder: Path | None = None) -> list[Path]:
    """Delete backups older than `keep_days()`, and the journal entries older than the
    oldest backup kept. Returns the files deleted."""
    from privacy.erasures import prune as prune_journal

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
    from django.db.utils import DatabaseError

    from privacy.erasures import as_rows
    from privacy.models import ErasureJournal

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


def restore(
    path: Path,
    *,
    into: str,
    key_file: Path | None = None,
    use_live_journal: bool = True,
    out=sys.stdout,
) -> dict:
    """Restore a backup into the new database `into`, then finish it (a separate
    process on that database, `manage.py restore --finish`). Returns what it did."""
    db = _require_postgresql()
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
        env = _pg_env(db, name=into)
        created = subprocess.run(  # noqa: S603 (the name is one argument)
            [_tool("createdb"), "--", into], env=env, capture_output=True, text=True, check=False
        )
        if created.returncode != 0:
            raise BackupError(
                f"Cannot create the database {into!r} ({created.stderr.strip()}); restore "
                "into a new database."
            )
        out.write(f"Restoring the backup of {taken_at:%Y-%m-%d %H:%M} UTC into {into}.\n")
        process = subprocess.Popen(  # noqa: S603 (the name is one argument)
            [_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--dbname", into],
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
    import psycopg

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


def finish_restore(
    *, journal_rows: list[dict] | None = None, now: datetime.datetime | None = None, out=sys.stdout
) -> dict:
    """On the restored database (the default connection): migrate, take in the newer
    journal, repeat every erasure since the backup, expunge as of now, end every session,
    then clear the pending mark. Safe to run again."""
    from django.contrib.sessions.models import Session
    from django.core.management import call_command

    from privacy import erasures, retention
    from privacy.models import RestorePending

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
    from django.db.utils import DatabaseError

    from privacy.models import RestorePending

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
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(RESTORE_PENDING_MESSAGE)
