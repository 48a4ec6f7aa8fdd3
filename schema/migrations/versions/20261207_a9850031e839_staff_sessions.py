"""Server-side staff sessions, staff API tokens, the reviewer a certification is assigned to,
and the index the review queue pages by.

Revision ID: a9850031e839
Revises: 6806e758d361
Create Date: 2026-12-07 03:54:00.448073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

revision: str = "a9850031e839"
down_revision: str | None = "6806e758d361"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_staff_sessions_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_staff_sessions_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "staff_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_staff_tokens_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_tokens_token_hash")),
    )
    with op.batch_alter_table("staff_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_tokens_staff_id"), ["staff_id"], unique=False)

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewer_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_certifications_requested_at_id", ["requested_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certifications_reviewer_id"), ["reviewer_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_certifications_reviewer_id_staff_users"),
            "staff_users",
            ["reviewer_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_certifications_reviewer_id_staff_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_certifications_reviewer_id"))
        batch_op.drop_index("ix_certifications_requested_at_id")
        batch_op.drop_column("reviewer_id")

    with op.batch_alter_table("staff_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_tokens_staff_id"))

    op.drop_table("staff_tokens")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_staff_id"))
        batch_op.drop_index(batch_op.f("ix_staff_sessions_expires_at"))

    op.drop_table("staff_sessions")
