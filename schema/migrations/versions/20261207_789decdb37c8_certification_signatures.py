"""The e.firma shown once per company session (Seguimiento a Certificación), and the
certification an approval or cancellation signature is about.

Revision ID: 789decdb37c8
Revises: 8dede0fb8518
Create Date: 2026-12-07 06:50:10.668554
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

revision: str = "789decdb37c8"
down_revision: str | None = "8dede0fb8518"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("company_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("efirma_verified_at", schema.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("efirma_certificate_number", sa.String(length=20), nullable=True)
        )

    with op.batch_alter_table("pending_signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certification_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_pending_signatures_certification_id_certifications"),
            "certifications",
            ["certification_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_signatures", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_pending_signatures_certification_id_certifications"), type_="foreignkey"
        )
        batch_op.drop_column("certification_id")

    with op.batch_alter_table("company_sessions", schema=None) as batch_op:
        batch_op.drop_column("efirma_certificate_number")
        batch_op.drop_column("efirma_verified_at")
