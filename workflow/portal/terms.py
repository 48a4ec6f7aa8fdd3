"""The terms and conditions a company signs, versioned: each version is a file in
``terminos/<kind>/`` that is never edited once published (a company signed that text), and the
signed cadena names the version and the SHA-256 of its text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

_FOLDER = Path(__file__).parent / "terminos"


class TermsKind(StrEnum):
    CONTRASENA = "contrasena"  # Servicios de Intercomunicación (Generación de contraseña)
    CERTIFICACION = "certificacion"  # Solicitud de Certificación
    APROBACION = "aprobacion"  # Aprobación de Certificación
    RELACIONES = "relaciones"  # Relaciones de confianza


CURRENT_VERSIONS = {
    TermsKind.CONTRASENA: "2026-12",
    TermsKind.CERTIFICACION: "2026-12",
    TermsKind.APROBACION: "2026-12",
    TermsKind.RELACIONES: "2026-12",
}


@dataclass(frozen=True)
class Terms:
    kind: TermsKind
    version: str
    title: str
    paragraphs: tuple[str, ...]
    sha256: str


@cache
def terms(kind: TermsKind = TermsKind.CONTRASENA, version: str | None = None) -> Terms:
    """The text of ``kind``'s terms, the current version unless one is named."""
    chosen = version or CURRENT_VERSIONS[kind]
    text = (_FOLDER / kind.value / f"{chosen}.txt").read_text(encoding="utf-8")
    title, *paragraphs = [block.strip() for block in text.split("\n\n") if block.strip()]
    return Terms(kind, chosen, title, tuple(paragraphs), hashlib.sha256(text.encode()).hexdigest())
