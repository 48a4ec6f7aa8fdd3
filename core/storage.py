"""Stored files (evidence, screenshots, CFDI, acuses, attachments) as immutable, content-addressed
blobs.

A blob is named by its area and the SHA-256 of its bytes (``area/ab/abcdef…[suffix]``): storing
the same bytes twice keeps one copy, and a blob is never rewritten, so a key recorded in the
database always means the same bytes. Where blobs live is ``Settings.blob_store``:

- ``database`` (the default on PostgreSQL): a row of ``blobs``. Machines that share only
  PostgreSQL and Redis then share every stored file; no filesystem is shared.
- ``filesystem`` (the embedded default, SQLite): a read-only file under the storage dir.

Keys are the same in both, so `sia storage migrate-blobs` (``move_files_to_database``) moves a
storage dir into the database and every key already recorded keeps resolving.

Transactions: ``store_blob`` commits the blob in its own short transaction before it returns,
never in the caller's. A blob is immutable and named by its bytes, so writing it early is safe: if
the caller then rolls back, the blob is an orphan no row names, harmless as an orphan file was.
Committing first means that whoever sees the caller's committed row (a worker told to examine an
upload) finds the blob it names; and writers of the same bytes never wait on each other's open
transactions: two workers storing the same bytes at once both succeed (the insert does nothing
when the key is there), where inserts inside long caller transactions would queue behind one
another, or deadlock when two storing several blobs met in opposite orders.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from core.clock import utcnow
from core.config import get_settings
from core.db import get_engine

# The evidence upload limit: what is drawn from a workbook (screenshots, CFDI) and what the system
# issues (acuses, attachments) is smaller but for a rare loosely compressed screenshot, which the
# examination keeps as its thumbnail. A row this size is still cheap to insert and read whole.
MAX_BLOB_BYTES = 5 * 1024 * 1024
# area/ab/<sha256>[.suffix], the directory being the digest's first two characters.
_KEY = re.compile(r"[a-z0-9_-]+/([0-9a-f]{2})/(\1[0-9a-f]{62})(\.[A-Za-z0-9]{1,10})?")
# The table is schema.blobs.Blob; schema builds on core, so core names only the columns it uses.
_BLOBS = sa.table(
    "blobs",
    sa.column("key", sa.String),
    sa.column("sha256", sa.String),
    sa.column("size", sa.Integer),
    sa.column("data", sa.LargeBinary),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


class BlobTooLarge(ValueError):
    """The bytes exceed what the blob store keeps (MAX_BLOB_BYTES)."""


class BlobMissing(FileNotFoundError):
    """No blob has this key in the configured store."""


def blob_key(area: str, sha256: str, suffix: str = "") -> str:
    return f"{area}/{sha256[:2]}/{sha256}{suffix}"


def store_blob(data: bytes, area: str, suffix: str = "") -> str:
    """Store ``data`` once (committed when this returns); its key."""
    if len(data) > MAX_BLOB_BYTES:
        raise BlobTooLarge(
            f"a stored file may have {MAX_BLOB_BYTES:,} bytes at most; "
            f"this one for {area!r} has {len(data):,}"
        )
    digest = hashlib.sha256(data).hexdigest()
    key = blob_key(area, digest, suffix)
    blob_store().put(_checked(key), data, digest)
    return key


def read_blob(key: str) -> bytes:
    """The bytes stored under ``key``; BlobMissing when there are none."""
    return blob_store().get(_checked(key))


def blob_exists(key: str) -> bool:
    return blob_store().exists(_checked(key))


def _checked(key: str) -> str:
    parts = PurePosixPath(key)
    if parts.is_absolute() or ".." in parts.parts or not parts.parts:
        raise ValueError(f"stored path {key!r} must be relative to the storage dir")
    return key


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, sha256: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


def blob_store() -> BlobStore:
    """The store this deployment is configured with."""
    settings = get_settings()
    if settings.blob_store == "database":
        return DatabaseBlobs(get_engine())
    return FilesystemBlobs(settings.storage)


@dataclass(frozen=True)
class FilesystemBlobs:
    root: Path

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*PurePosixPath(key).parts)

    def put(self, key: str, data: bytes, sha256: str) -> None:
        target = self._path(key)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, data)
            target.chmod(0o444)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(f"stored file {key!r} is not under {self.root}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


@dataclass(frozen=True)
class DatabaseBlobs:
    engine: Engine

    def put(self, key: str, data: bytes, sha256: str) -> None:
        row = {"key": key, "sha256": sha256, "size": len(data), "data": data}
        statement = insert(_BLOBS).values(**row, created_at=utcnow()).on_conflict_do_nothing()
        with self.engine.begin() as connection:
            connection.execute(statement)

    def get(self, key: str) -> bytes:
        with self.engine.connect() as connection:
            data = connection.execute(
                sa.select(_BLOBS.c.data).where(_BLOBS.c.key == key)
            ).scalar_one_or_none()
        if data is None:
            raise BlobMissing(f"stored file {key!r} is not in the database's blobs")
        return bytes(data)

    def exists(self, key: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(sa.select(_BLOBS.c.key).where(_BLOBS.c.key == key)).first()
        return found is not None


def write_atomically(target: Path, data: bytes) -> None:
    """Readers (and a crash) see no file or the whole file, never a partial one."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass
class Moved:
    """What ``move_files_to_database`` did with each file under the storage dir."""

    copied: int = 0
    present: int = 0  # already in the database (an earlier run, or stored since)
    ignored: int = 0  # not named as a blob (keys, temporary files)
    altered: list[str] = field(default_factory=list)  # keys whose bytes no longer hash to them
    too_large: list[str] = field(default_factory=list)  # keys over MAX_BLOB_BYTES


def move_files_to_database(root: Path, target: DatabaseBlobs) -> Moved:
    """Copy every blob file under ``root`` into ``target``, under the same key.

    Idempotent: a key already there is left alone, so it can run again after a partial run or
    while the system runs. A file whose bytes do not hash to its name is refused, not copied: it
    was altered on disk and would no longer mean what the rows naming it recorded.
    """
    moved = Moved()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        shape = _KEY.fullmatch(key)
        if shape is None:
            moved.ignored += 1
            continue
        if target.exists(key):
            moved.present += 1
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != shape.group(2):
            moved.altered.append(key)
        elif len(data) > MAX_BLOB_BYTES:
            moved.too_large.append(key)
        else:
            target.put(key, data, digest)
            moved.copied += 1
    return moved
