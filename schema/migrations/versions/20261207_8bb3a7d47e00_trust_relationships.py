"""Relaciones de confianza (trust_relationships), when a certification became Certificada
(backfilled from the audit log), the relationship terms shown per company session, and what a
relationship step signed with the e.firma is about.

Revision ID: 8bb3a7d47e00
Revises: 789decdb37c8
Create Date: 2026-12-07 14:32:03.959069
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import schema.base

revision: str = "8bb3a7d47e00"
down_revision: str | None = "789decdb37c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trust_relationships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folio", sa.String(length=10), nullable=False),
        sa.Column("patron_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column(
            "service",
            sa.Enum("avisos", name="intercomservice", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("vigencia_months", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "en_proceso",
                "vigente",
                "cancelada",
                "no_vigente",
                "sin_efecto",
                "no_procedente",
                name="relationshipstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("status_changed_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("requested_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("expires_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("acuse_id", sa.Integer(), nullable=True),
        sa.Column("cancellation_acuse_id", sa.Integer(), nullable=True),
        sa.Column(
            "next_notice",
            sa.Enum(
                "recordatorio_15",
                "recordatorio_1",
                "vencimiento",
                name="relationshipnotice",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("next_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["acuse_id"], ["documents.id"], name=op.f("fk_trust_relationships_acuse_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["cancellation_acuse_id"],
            ["documents.id"],
            name=op.f("fk_trust_relationships_cancellation_acuse_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["patron_id"],
            ["organizations.id"],
            name=op.f("fk_trust_relationships_patron_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["company_accounts.id"],
            name=op.f("fk_trust_relationships_requested_by_company_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["pending_signatures.id"],
            name=op.f("fk_trust_relationships_signature_id_pending_signatures"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["organizations.id"],
            name=op.f("fk_trust_relationships_vendor_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_relationships")),
        sa.UniqueConstraint("folio", name=op.f("uq_trust_relationships_folio")),
        sa.UniqueConstraint("signature_id", name=op.f("uq_trust_relationships_signature_id")),
    )
    with op.batch_alter_table("trust_relationships", schema=None) as batch_op:
        batch_op.create_index("ix_trust_relationships_next_at", ["next_at"], unique=False)
        batch_op.create_index(
            "ix_trust_relationships_patron_id_id", ["patron_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_trust_relationships_status_requested_at", ["status", "requested_at"], unique=False
        )
        batch_op.create_index(
            "ix_trust_relationships_vendor_id_status", ["vendor_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_trust_relationships_open",
            ["patron_id", "vendor_id", "service"],
            unique=True,
            postgresql_where=sa.text("status IN ('en_proceso', 'vigente')"),
            sqlite_where=sa.text("status IN ('en_proceso', 'vigente')"),
        )

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("certified_at", schema.base.UTCDateTime(timezone=True), nullable=True)
        )
    # The moment each certification signed its approval terms, as the audit log recorded it.
    op.execute(
        "UPDATE certifications SET certified_at = ("
        " SELECT max(e.occurred_at) FROM audit_events e"
        " WHERE e.entity_type = 'certification' AND e.entity_id = certifications.id"
        " AND e.action = 'certification.terms_signed')"
    )

    with op.batch_alter_table("company_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "relationship_terms_at", schema.base.UTCDateTime(timezone=True), nullable=True
            )
        )

    with op.batch_alter_table("pending_signatures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "subject",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_signatures", schema=None) as batch_op:
        batch_op.drop_column("subject")

    with op.batch_alter_table("company_sessions", schema=None) as batch_op:
        batch_op.drop_column("relationship_terms_at")

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_column("certified_at")

    with op.batch_alter_table("trust_relationships", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_trust_relationships_open",
            postgresql_where=sa.text("status IN ('en_proceso', 'vigente')"),
            sqlite_where=sa.text("status IN ('en_proceso', 'vigente')"),
        )
        batch_op.drop_index("ix_trust_relationships_vendor_id_status")
        batch_op.drop_index("ix_trust_relationships_status_requested_at")
        batch_op.drop_index("ix_trust_relationships_patron_id_id")
        batch_op.drop_index("ix_trust_relationships_next_at")

    op.drop_table("trust_relationships")
