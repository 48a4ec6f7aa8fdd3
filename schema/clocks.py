"""Clocks: the terms that run against a certification (DOMAIN §3), and what was done about them.

A clock is started by the state machine when a certification enters a timed state and stopped
when it leaves it; the deadline scan acts on it when its moments come (reminders, expiry, review
SLA alert). ``next_at`` is the next such moment, so the scan reads an index of what is due and
never the whole table; each action is recorded once under a unique key, so two scans, or a scan
retried after a crash, act once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime, enum_column


class ClockKind(StrEnum):
    EVIDENCIA = "evidencia"  # the vendor's term to upload evidence (45, then 10 business days)
    REVISION = "revision"  # the review SLA (5 business days), a promise of INFONAVIT's


class ClockState(StrEnum):
    CORRIENDO = "corriendo"
    DETENIDO = "detenido"  # what it guards happened (evidence accepted, decision, cancellation)
    VENCIDO = "vencido"  # its deadline passed and the scan acted on it


class DeadlineAction(StrEnum):
    RECORDATORIO = "recordatorio"  # to the vendor, ``threshold`` business days before the end
    VENCIMIENTO = "vencimiento"  # evidence term over: the certification expires
    ALERTA_SLA = "alerta_sla"  # review SLA breached: the supervisors are alerted


class ActionOutcome(StrEnum):
    HECHO = "hecho"
    OMITIDO = "omitido"  # its moment passed while the system was down for too long


class Clock(SQLModel, table=True):
    __tablename__ = "clocks"
    __table_args__ = (
        sa.UniqueConstraint(
            "certification_id", "round", "kind", name="uq_clocks_certification_round_kind"
        ),
        # Only clocks with something left to do are in this index: the scan's cost follows the
        # number of due items, not the number of certifications.
        sa.Index(
            "ix_clocks_kind_next_at",
            "kind",
            "next_at",
            postgresql_where=sa.text("next_at IS NOT NULL"),
            sqlite_where=sa.text("next_at IS NOT NULL"),
        ),
        # The review queue's running deadlines: soonest first, due within N days, SLA breached.
        sa.Index(
            "ix_clocks_running_due_at",
            "due_at",
            "certification_id",
            postgresql_where=sa.text("state = 'corriendo'"),
            sqlite_where=sa.text("state = 'corriendo'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(foreign_key="certifications.id")
    round: int
    kind: ClockKind = Field(sa_column=enum_column(ClockKind, nullable=False))
    state: ClockState = Field(sa_column=enum_column(ClockState, nullable=False))
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    term_days: int  # business days, counted from the first business day after started_at
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    next_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ClockActionRecord(SQLModel, table=True):
    """One thing the deadline scan did (or deliberately skipped) for a clock."""

    __tablename__ = "clock_actions"
    __table_args__ = (
        sa.UniqueConstraint(
            "certification_id",
            "round",
            "kind",
            "threshold",
            name="uq_clock_actions_certification_round_kind_threshold",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    clock_id: int = Field(foreign_key="clocks.id", index=True)
    certification_id: int = Field(foreign_key="certifications.id")
    round: int
    kind: DeadlineAction = Field(sa_column=enum_column(DeadlineAction, nullable=False))
    threshold: int  # business days before the deadline (0: its last day, or the deadline itself)
    outcome: ActionOutcome = Field(sa_column=enum_column(ActionOutcome, nullable=False))
    meant_for: datetime = Field(sa_type=UTCDateTime, nullable=False)
    acted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
