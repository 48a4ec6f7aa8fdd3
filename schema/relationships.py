"""Relaciones de confianza (DOMAIN §2 process 3): a patrón trusts a certified vendor, for one
Servicio de Intercomunicación and a vigencia, so that the vendor's payroll system may download the
patrón's avisos."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime, enum_column


class RelationshipStatus(StrEnum):
    """Values are stable API codes; ``label`` is the guide's «Estatus»."""

    EN_PROCESO = "en_proceso"  # signed; a worker has yet to register it
    VIGENTE = "vigente"
    CANCELADA = "cancelada"  # Borrar, by the patrón
    NO_VIGENTE = "no_vigente"  # its vigencia ended
    SIN_EFECTO = "sin_efecto"  # the vendor's certification was cancelled
    NO_PROCEDENTE = "no_procedente"  # the vendor stopped being certified before it was registered

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    RelationshipStatus.EN_PROCESO: "En proceso",
    RelationshipStatus.VIGENTE: "Relación Vigente",
    RelationshipStatus.CANCELADA: "Relación cancelada por usuario",
    RelationshipStatus.NO_VIGENTE: "Relación no vigente",
    RelationshipStatus.SIN_EFECTO: "Relación sin efecto: el desarrollador ya no está certificado",
    RelationshipStatus.NO_PROCEDENTE: "No procedente: el desarrollador ya no está certificado",
}

# A patrón holds at most one of these per vendor and service (a partial unique index).
OPEN_STATUSES = (RelationshipStatus.EN_PROCESO, RelationshipStatus.VIGENTE)


class IntercomService(StrEnum):
    AVISOS = "avisos"

    @property
    def label(self) -> str:
        return "Avisos"


class RelationshipNotice(StrEnum):
    """What the deadline scan owes a vigente relationship next, at ``next_at``."""

    RECORDATORIO_15 = "recordatorio_15"
    RECORDATORIO_1 = "recordatorio_1"
    VENCIMIENTO = "vencimiento"


_OPEN_SQL = "status IN ('en_proceso', 'vigente')"


class TrustRelationship(SQLModel, table=True):
    __tablename__ = "trust_relationships"
    __table_args__ = (
        sa.Index(
            "uq_trust_relationships_open",
            "patron_id",
            "vendor_id",
            "service",
            unique=True,
            postgresql_where=sa.text(_OPEN_SQL),
            sqlite_where=sa.text(_OPEN_SQL),
        ),
        # The patrón's table, newest first.
        sa.Index("ix_trust_relationships_patron_id_id", "patron_id", "id"),
        # The gate of the avisos service and the cancellation of a vendor's relationships.
        sa.Index("ix_trust_relationships_vendor_id_status", "vendor_id", "status"),
        # The deadline scan: what is due, not what exists.
        sa.Index("ix_trust_relationships_next_at", "next_at"),
        # The sweep of requests whose task never ran.
        sa.Index("ix_trust_relationships_status_requested_at", "status", "requested_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # «No. de Caso»: the folio of the signed request.
    folio: str = Field(max_length=10, unique=True)
    patron_id: int = Field(foreign_key="organizations.id")
    vendor_id: int = Field(foreign_key="organizations.id")
    service: IntercomService = Field(sa_column=enum_column(IntercomService, nullable=False))
    vigencia_months: int
    # Written only by workflow.relationships.states, which also writes the audit event.
    status: RelationshipStatus = Field(sa_column=enum_column(RelationshipStatus, nullable=False))
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Why it is sin efecto or no procedente, in the patrón's words.
    status_reason: str | None = Field(default=None, max_length=500)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    requested_by: int = Field(foreign_key="company_accounts.id")
    # The patrón's signed request: its cadena and sello go into the acuse.
    signature_id: int = Field(foreign_key="pending_signatures.id", unique=True)
    # «Fecha inicio vigencia» and «Fin de vigencia» (local dates), set when it is registered; it
    # stops being vigente at the start of ``ends_on`` (``expires_at``).
    starts_on: date | None = Field(default=None)
    ends_on: date | None = Field(default=None)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # «Fecha cancelación anticipada».
    cancelled_on: date | None = Field(default=None)
    acuse_id: int | None = Field(default=None, foreign_key="documents.id")
    cancellation_acuse_id: int | None = Field(default=None, foreign_key="documents.id")
    next_notice: RelationshipNotice | None = Field(
        default=None, sa_column=enum_column(RelationshipNotice, nullable=True)
    )
    next_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
