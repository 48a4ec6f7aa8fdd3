"""Immutable, content-addressed files under the storage directory.

A file is named by the SHA-256 of its bytes (``area/ab/abcdef…``): storing the same bytes twice
keeps one copy, and a stored file is never rewritten, so a path recorded in the database always
means the same bytes. Workers on several machines share this directory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path, PurePosixPath

from core.config import get_settings


def blob_path(relative: str) -> Path:
    parts = PurePosixPath(relative)
    if parts.is_absolute() or ".." in parts.parts or not parts.parts:
        raise ValueError(f"stored path {relative!r} must be relative to the storage dir")
    return get_settings().storage.joinpath(*parts.parts)


def store_blob(data: bytes, area: str, suffix: str = "") -> str:
    """Store `data` once; returns its path relative to the storage dir."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{area}/{digest[:2]}/{digest}{suffix}"
    target = blob_path(relative)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)
        target.chmod(0o444)
    return relative


def read_blob(relative: str) -> bytes:
    return blob_path(relative).read_bytes()


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
