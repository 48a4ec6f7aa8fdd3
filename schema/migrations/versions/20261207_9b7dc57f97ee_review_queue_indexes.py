"""Indexes of the review queue: its orders within a state, running deadlines, the verdict of a
round, and a vendor found by any part of its RFC or razón social (trigrams, PostgreSQL's pg_trgm
extension, trusted since PostgreSQL 13: the database's owner may create it).

Revision ID: 9b7dc57f97ee
Revises: a9850031e839
Create Date: 2026-12-07 04:22:34.786491
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b7dc57f97ee"
down_revision: str | None = "a9850031e839"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING = sa.text("state = 'corriendo'")
EXAMINED = sa.text("checked_at IS NOT NULL")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_certifications_state_changed_at_id", ["state_changed_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_certifications_state_requested_at_id",
            ["state", "requested_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_certifications_state_state_changed_at_id",
            ["state", "state_changed_at", "id"],
            unique=False,
        )

    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clocks_running_due_at",
            ["due_at", "certification_id"],
            unique=False,
            postgresql_where=RUNNING,
            sqlite_where=RUNNING,
        )

    with op.batch_alter_table("evidence_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evidence_submissions_examined",
            ["certification_id", "round", "verdict", "id"],
            unique=False,
            postgresql_where=EXAMINED,
            sqlite_where=EXAMINED,
        )

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_organizations_razon_social_trgm",
            ["razon_social"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"razon_social": "gin_trgm_ops"},
        )
        batch_op.create_index(
            "ix_organizations_rfc_trgm",
            ["rfc"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"rfc": "gin_trgm_ops"},
        )


def downgrade() -> None:
    # The pg_trgm extension stays: something else in the database may have come to use it.
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index("ix_organizations_rfc_trgm")
        batch_op.drop_index("ix_organizations_razon_social_trgm")

    with op.batch_alter_table("evidence_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_submissions_examined")

    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_clocks_running_due_at")

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index("ix_certifications_state_state_changed_at_id")
        batch_op.drop_index("ix_certifications_state_requested_at_id")
        batch_op.drop_index("ix_certifications_state_changed_at_id")
