"""A vendor's certification request and the rounds of test sets it goes through."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import JSONType, UTCDateTime, enum_column


class CertificationState(StrEnum):
    """States of DOMAIN §3. Values are stable API codes; `label` is what vendors see."""

    SOLICITADA = "solicitada"
    EN_ESPERA_DE_DOCUMENTOS = "en_espera_de_documentos"
    EN_ANALISIS = "en_analisis"
    CON_INCONSISTENCIAS = "con_inconsistencias"
    APROBADA_PENDIENTE_DE_FIRMA = "aprobada_pendiente_de_firma"
    CERTIFICADA = "certificada"
    VENCIDA = "vencida"
    CANCELADA = "cancelada"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    CertificationState.SOLICITADA: "Solicitada",
    CertificationState.EN_ESPERA_DE_DOCUMENTOS: "En espera de documentos",
    CertificationState.EN_ANALISIS: "En análisis",
    CertificationState.CON_INCONSISTENCIAS: "Con inconsistencias",
    CertificationState.APROBADA_PENDIENTE_DE_FIRMA: "Aprobada, pendiente de firma",
    CertificationState.CERTIFICADA: "Certificada",
    CertificationState.VENCIDA: "Vencida",
    CertificationState.CANCELADA: "Cancelada",
}


class Certification(SQLModel, table=True):
    __tablename__ = "certifications"
    # The review queue's orders and their keyset pages (workflow.queue): newest request or
    # latest change of state first, id breaking ties; each also within one state, so that a
    # state the queue is filtered by is read alone rather than picked out of the whole table.
    __table_args__ = (
        sa.Index("ix_certifications_requested_at_id", "requested_at", "id"),
        sa.Index("ix_certifications_state_requested_at_id", "state", "requested_at", "id"),
        sa.Index("ix_certifications_state_changed_at_id", "state_changed_at", "id"),
        sa.Index("ix_certifications_state_state_changed_at_id", "state", "state_changed_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    folio: str = Field(max_length=10, unique=True)
    vendor_id: int = Field(foreign_key="organizations.id", index=True)
    # Written only by workflow.transitions, which also writes the audit event.
    state: CertificationState = Field(
        sa_column=enum_column(CertificationState, nullable=False, index=True)
    )
    round: int = Field(default=1)
    version: int = Field(default=1)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    state_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # When it became `Certificada` (the public registry's «certificado desde»); kept after a
    # cancellation. Written by the state machine.
    certified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The reviewer who owns its review; a supervisor reassigns it (workflow.assignment).
    reviewer_id: int | None = Field(default=None, foreign_key="staff_users.id", index=True)
    # Its deadlines are clocks (schema.clocks), started and stopped by the state machine.


class TestSet(SQLModel, table=True):
    """The randomized test set of one round. `answers` never leaves the back office."""

    __tablename__ = "test_sets"
    __table_args__ = (
        sa.UniqueConstraint("certification_id", "round", name="uq_test_sets_certification_round"),
    )
    __test__ = False  # not a pytest test class, despite the name

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(foreign_key="certifications.id", index=True)
    round: int
    folio: str = Field(max_length=10, unique=True)
    seed: str = Field(max_length=100)
    emitted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    patron_rfc: str = Field(max_length=13)
    patron_nrp: str = Field(max_length=11, index=True)
    sandbox_password_hash: str = Field(max_length=200)
    document: dict[str, Any] = Field(sa_type=JSONType)
    answers: dict[str, Any] = Field(sa_type=JSONType)
    avisos_responses: list[dict[str, Any]] = Field(sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
