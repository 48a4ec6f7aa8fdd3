"""Attachments live in the blob store; outbox rows only point at them.

Bytes are stored content-addressed by core.storage (``adjuntos/ab/abcdef…``), so the same
test-set file sent twice is stored once and a row stays a few hundred bytes whatever it carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from core.storage import blob_exists, read_blob, store_blob

ATTACHMENTS_DIR = "adjuntos"


@dataclass(frozen=True)
class Attachment:
    filename: str  # as the recipient sees it; any Unicode
    content_type: str  # e.g. "application/json"
    path: str  # the blob's key (its path relative to a storage dir), with forward slashes

    def __post_init__(self) -> None:
        if not self.filename or any(c in self.filename for c in "/\\\r\n"):
            raise ValueError(f"attachment filename {self.filename!r} is empty or has a path")
        maintype, _, subtype = self.content_type.partition("/")
        if not maintype or not subtype or " " in self.content_type:
            raise ValueError(f"attachment content type {self.content_type!r} is not type/subtype")
        relative = PurePosixPath(self.path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"attachment path {self.path!r} must be relative to the storage dir")

    @property
    def maintype(self) -> str:
        return self.content_type.partition("/")[0]

    @property
    def subtype(self) -> str:
        return self.content_type.partition("/")[2]

    def as_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "content_type": self.content_type, "path": self.path}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        return cls(data["filename"], data["content_type"], data["path"])


def attachment_stored(attachment: Attachment) -> bool:
    return blob_exists(attachment.path)


def read_attachment(attachment: Attachment) -> bytes:
    return read_blob(attachment.path)


def store_attachment(data: bytes, filename: str, content_type: str) -> Attachment:
    """Store ``data`` in the blob store (once per content) and describe it as an attachment."""
    return Attachment(filename, content_type, store_blob(data, ATTACHMENTS_DIR))
