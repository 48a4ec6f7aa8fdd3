"""Clocks and the deadline scan's actions replace the certification's two due-date columns.

Running terms are carried over: an evidence term resumes with its reminders decided by the next
scan (one whose moment is long past is skipped, as after any outage); a review SLA keeps its
deadline.

Revision ID: 6806e758d361
Revises: 35717fe4ddd0
Create Date: 2026-12-07 01:57:50.434514
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

revision: str = "6806e758d361"
down_revision: str | None = "35717fe4ddd0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("evidencia", "revision", name="clockkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "corriendo", "detenido", "vencido", name="clockstate", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("started_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("term_days", sa.Integer(), nullable=False),
        sa.Column("due_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_clocks_certification_id_certifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clocks")),
        sa.UniqueConstraint(
            "certification_id", "round", "kind", name="uq_clocks_certification_round_kind"
        ),
    )
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clocks_kind_next_at",
            ["kind", "next_at"],
            unique=False,
            postgresql_where=sa.text("next_at IS NOT NULL"),
            sqlite_where=sa.text("next_at IS NOT NULL"),
        )

    op.create_table(
        "clock_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "recordatorio",
                "vencimiento",
                "alerta_sla",
                name="deadlineaction",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("hecho", "omitido", name="actionoutcome", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("meant_for", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acted_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_clock_actions_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["clock_id"], ["clocks.id"], name=op.f("fk_clock_actions_clock_id_clocks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_actions")),
        sa.UniqueConstraint(
            "certification_id",
            "round",
            "kind",
            "threshold",
            name="uq_clock_actions_certification_round_kind_threshold",
        ),
    )
    with op.batch_alter_table("clock_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clock_actions_clock_id"), ["clock_id"], unique=False)

    op.execute(
        "INSERT INTO clocks (certification_id, round, kind, state, started_at, term_days, due_at, next_at) "
        "SELECT id, round, 'evidencia', 'corriendo', state_changed_at, "
        "CASE WHEN round = 1 THEN 45 ELSE 10 END, evidence_due_at, state_changed_at "
        "FROM certifications WHERE state = 'en_espera_de_documentos' AND evidence_due_at IS NOT NULL"
    )
    op.execute(
        "INSERT INTO clocks (certification_id, round, kind, state, started_at, term_days, due_at, next_at) "
        "SELECT id, round, 'revision', 'corriendo', state_changed_at, 5, review_due_at, review_due_at "
        "FROM certifications WHERE state = 'en_analisis' AND review_due_at IS NOT NULL"
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifications_state_due"))
        batch_op.drop_column("review_due_at")
        batch_op.drop_column("evidence_due_at")


def downgrade() -> None:
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("evidence_due_at", schema.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("review_due_at", schema.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_certifications_state_due"), ["state", "evidence_due_at"], unique=False
        )
    for kind, column in (("evidencia", "evidence_due_at"), ("revision", "review_due_at")):
        op.execute(
            f"UPDATE certifications SET {column} = (SELECT due_at FROM clocks "  # noqa: S608
            f"WHERE clocks.certification_id = certifications.id AND clocks.kind = '{kind}' "
            "ORDER BY clocks.round DESC LIMIT 1)"
        )

    with op.batch_alter_table("clock_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clock_actions_clock_id"))

    op.drop_table("clock_actions")
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_clocks_kind_next_at",
            postgresql_where=sa.text("next_at IS NOT NULL"),
            sqlite_where=sa.text("next_at IS NOT NULL"),
        )

    op.drop_table("clocks")
