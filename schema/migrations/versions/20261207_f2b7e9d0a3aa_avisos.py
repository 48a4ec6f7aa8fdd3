"""The production avisos service: avisos imported per patrón and worker, and the log of
every page downloaded by a vendor.

Revision ID: f2b7e9d0a3aa
Revises: 8bb3a7d47e00
Create Date: 2026-12-07 15:04:42.430463
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import schema.base

revision: str = "f2b7e9d0a3aa"
down_revision: str | None = "8bb3a7d47e00"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "avisos",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("folio", sa.String(length=10), nullable=False),
        sa.Column("patron_nrp", sa.String(length=11), nullable=False),
        sa.Column("nss", sa.String(length=11), nullable=False),
        sa.Column("fecha_aviso", sa.Date(), nullable=False),
        sa.Column(
            "clase",
            sa.Enum(
                "RETENCION",
                "MODIFICACION",
                "SUSPENSION",
                name="avisoclase",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("tipo_clave", sa.String(length=2), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("imported_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_avisos")),
        sa.UniqueConstraint("folio", name=op.f("uq_avisos_folio")),
    )
    with op.batch_alter_table("avisos", schema=None) as batch_op:
        batch_op.create_index("ix_avisos_patron_nrp_id", ["patron_nrp", "id"], unique=False)
        batch_op.create_index(
            "ix_avisos_patron_nrp_nss_id", ["patron_nrp", "nss", "id"], unique=False
        )

    op.create_table(
        "aviso_downloads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("patron_id", sa.Integer(), nullable=False),
        sa.Column("relationship_id", sa.Integer(), nullable=False),
        sa.Column("folio_consulta", sa.String(length=10), nullable=False),
        sa.Column(
            "query",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "folios",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patron_id"],
            ["organizations.id"],
            name=op.f("fk_aviso_downloads_patron_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["relationship_id"],
            ["trust_relationships.id"],
            name=op.f("fk_aviso_downloads_relationship_id_trust_relationships"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["organizations.id"],
            name=op.f("fk_aviso_downloads_vendor_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aviso_downloads")),
        sa.UniqueConstraint("folio_consulta", name=op.f("uq_aviso_downloads_folio_consulta")),
    )
    with op.batch_alter_table("aviso_downloads", schema=None) as batch_op:
        batch_op.create_index("ix_aviso_downloads_patron_id_at", ["patron_id", "at"], unique=False)
        batch_op.create_index("ix_aviso_downloads_vendor_id_at", ["vendor_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("aviso_downloads", schema=None) as batch_op:
        batch_op.drop_index("ix_aviso_downloads_vendor_id_at")
        batch_op.drop_index("ix_aviso_downloads_patron_id_at")

    op.drop_table("aviso_downloads")
    with op.batch_alter_table("avisos", schema=None) as batch_op:
        batch_op.drop_index("ix_avisos_patron_nrp_nss_id")
        batch_op.drop_index("ix_avisos_patron_nrp_id")

    op.drop_table("avisos")
