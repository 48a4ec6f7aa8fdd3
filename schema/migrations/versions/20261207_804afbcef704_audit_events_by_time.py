"""An index on the audit log by entity type and time, for the metrics page.

Revision ID: 804afbcef704
Revises: 9b7dc57f97ee
Create Date: 2026-12-07 05:46:40.436680
"""

from collections.abc import Sequence

from alembic import op

revision: str = "804afbcef704"
down_revision: str | None = "9b7dc57f97ee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_entity_type_occurred_at", ["entity_type", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity_type_occurred_at")
