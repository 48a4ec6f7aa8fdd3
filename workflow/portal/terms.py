"""The terms and conditions of the Servicios de Intercomunicación, versioned: each version is a
file in ``terminos/`` that is never edited once published (a company signed that text), and the
signed cadena names the version and the SHA-256 of its text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CURRENT_VERSION = "2026-12"
_FOLDER = Path(__file__).parent / "terminos"


@dataclass(frozen=True)
class Terms:
    version: str
    title: str
    paragraphs: tuple[str, ...]
    sha256: str


@cache
def terms(version: str = CURRENT_VERSION) -> Terms:
    text = (_FOLDER / f"{version}.txt").read_text(encoding="utf-8")
    title, *paragraphs = [block.strip() for block in text.split("\n\n") if block.strip()]
    return Terms(version, title, tuple(paragraphs), hashlib.sha256(text.encode()).hexdigest())
