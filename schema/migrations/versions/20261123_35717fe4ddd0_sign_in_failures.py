"""Failed sign-ins, for throttling guessers.

Revision ID: 35717fe4ddd0
Revises: 5e2a9c1d7b40
Create Date: 2026-11-23 05:53:54
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

revision: str = "35717fe4ddd0"
down_revision: str | None = "5e2a9c1d7b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failed_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_failures_failed_at"), ["failed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sign_in_failures_key"), ["key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_key"))
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_failed_at"))
    op.drop_table("sign_in_failures")
