"""Evidence workbooks uploaded by vendors, their findings and the reviewers' decisions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from evidence.verdict import Verdict
from schema.base import JSONType, UTCDateTime, enum_column


class SubmissionStatus(StrEnum):
    RECIBIDA = "recibida"
    ILEGIBLE = "ilegible"
    ACEPTADA = "aceptada"
    DESCARTADA = "descartada"  # certification cancelled while the workbook was being read
    REVISADA = "revisada"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class FindingSource(StrEnum):
    AUTOMATICO = "automatico"
    REVISOR = "revisor"


class ReviewDecision(StrEnum):
    APROBADA = "aprobada"
    CON_INCONSISTENCIAS = "con_inconsistencias"


class EvidenceSubmission(SQLModel, table=True):
    __tablename__ = "evidence_submissions"
    __table_args__ = (
        # The same bytes uploaded twice in one round are one submission (DOMAIN §8).
        sa.UniqueConstraint(
            "certification_id", "round", "sha256", name="uq_evidence_submissions_round_sha256"
        ),
        # The review queue's verdict of a round (that of its latest examined upload), read from
        # the index alone.
        sa.Index(
            "ix_evidence_submissions_examined",
            "certification_id",
            "round",
            "verdict",
            "id",
            postgresql_where=sa.text("checked_at IS NOT NULL"),
            sqlite_where=sa.text("checked_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(foreign_key="certifications.id", index=True)
    test_set_id: int = Field(foreign_key="test_sets.id")
    round: int
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    size_bytes: int
    sha256: str = Field(max_length=64)
    original_name: str = Field(max_length=255)
    status: SubmissionStatus = Field(sa_column=enum_column(SubmissionStatus, nullable=False))
    reading: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    verdict: Verdict | None = Field(default=None, sa_column=enum_column(Verdict, nullable=True))
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Finding(SQLModel, table=True):
    __tablename__ = "findings"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="evidence_submissions.id", index=True)
    source: FindingSource = Field(sa_column=enum_column(FindingSource, nullable=False))
    code: str = Field(max_length=32)
    severity: Severity = Field(sa_column=enum_column(Severity, nullable=False))
    tab: int | None = None
    case: str | None = Field(default=None, max_length=10)
    message: str = Field(sa_type=sa.Text)
    expected: str | None = Field(default=None, max_length=200)
    actual: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Review(SQLModel, table=True):
    """A reviewer's decision; final for its round (DOMAIN §3), hence one per submission."""

    __tablename__ = "reviews"

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(foreign_key="certifications.id", index=True)
    submission_id: int = Field(foreign_key="evidence_submissions.id", unique=True)
    reviewer_id: int = Field(foreign_key="staff_users.id")
    decision: ReviewDecision = Field(sa_column=enum_column(ReviewDecision, nullable=False))
    reason: str | None = Field(default=None, sa_type=sa.Text)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
