"""Stored files in the database, so machines that share only PostgreSQL and Redis share them too.

Files already under a storage dir are moved in by `sia storage migrate-blobs` (not here: the
machine that migrates need not be the one that holds the files).

Revision ID: b7a3b0551f7b
Revises: f2b7e9d0a3aa
Create Date: 2026-12-07 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

revision: str = "b7a3b0551f7b"
down_revision: str | None = "f2b7e9d0a3aa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_blobs")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Out of line and uncompressed: zip, PNG, JPEG and PDF gain nothing from pglz but its CPU.
        op.execute("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("blobs")
