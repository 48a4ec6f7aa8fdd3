"""Signed receipts (acuses, responsivas) issued as PDFs at each signed step."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime, enum_column


class DocumentKind(StrEnum):
    RESPONSIVA_CONTRASENA = "responsiva_contrasena"
    ACUSE_SOLICITUD = "acuse_solicitud"
    ACUSE_APROBACION = "acuse_aprobacion"
    ACUSE_CANCELACION = "acuse_cancelacion"
    ACUSE_RELACION = "acuse_relacion"
    ACUSE_CANCELACION_RELACION = "acuse_cancelacion_relacion"


class Document(SQLModel, table=True):
    __tablename__ = "documents"

    id: int | None = Field(default=None, primary_key=True)
    folio: str = Field(max_length=10, unique=True)
    kind: DocumentKind = Field(sa_column=enum_column(DocumentKind, nullable=False))
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    certification_id: int | None = Field(default=None, foreign_key="certifications.id")
    sha256: str = Field(max_length=64)
    storage_path: str = Field(max_length=500)
    signer_rfc: str = Field(max_length=13)
    certificate_number: str = Field(max_length=20)
    signature: str = Field(sa_type=sa.Text)
    cadena: str = Field(default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
