"""The backups' key and their encrypted container (docs/deployment.md, "Backups").

The key is a file the library holds (CALUMET_BACKUP_KEY_FILE), never in the backup folder:
32 random bytes, base64. A backup is AES-256-GCM in authenticated chunks (the
`cryptography` library), its header naming the key by an id that says nothing about it,
so a wrong key is refused before any plaintext."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"CALUMET-BACKUP\x00\x01"
CHUNK = 1 << 20


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
