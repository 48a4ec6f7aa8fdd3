"""Seed the non-working days INFONAVIT published for 2026 (DOMAIN §4: exactly the statutory ones).

Revision ID: 5e2a9c1d7b40
Revises: b1dbb3ba7ada
Create Date: 2026-11-23 03:30:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from schema.base import UTCDateTime

revision: str = "5e2a9c1d7b40"
down_revision: str | None = "b1dbb3ba7ada"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE = "DOF 2026"
DAYS = [
    (date(2026, 1, 1), "Año Nuevo"),
    (date(2026, 2, 2), "Día de la Constitución"),
    (date(2026, 3, 16), "Natalicio de Benito Juárez"),
    (date(2026, 5, 1), "Día del Trabajo"),
    (date(2026, 9, 16), "Día de la Independencia"),
    (date(2026, 11, 16), "Día de la Revolución"),
    (date(2026, 12, 25), "Navidad"),
]

non_working_days = sa.table(
    "non_working_days",
    sa.column("day", sa.Date),
    sa.column("description", sa.String),
    sa.column("source", sa.String),
    sa.column("created_at", UTCDateTime),
)


def upgrade() -> None:
    now = datetime.now(UTC)
    op.bulk_insert(
        non_working_days,
        [{"day": d, "description": text, "source": SOURCE, "created_at": now} for d, text in DAYS],
    )


def downgrade() -> None:
    op.execute(non_working_days.delete().where(non_working_days.c.source == SOURCE))
