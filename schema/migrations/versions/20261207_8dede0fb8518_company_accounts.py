"""Company accounts in the portal, their sessions, e.firma signatures awaiting confirmation,
captcha challenges; the SIA password's version; a patrón is unique by NRP, no longer by RFC.

Revision ID: 8dede0fb8518
Revises: 804afbcef704
Create Date: 2026-12-07 06:17:18.988406
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

revision: str = "8dede0fb8518"
down_revision: str | None = "804afbcef704"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "captcha_challenges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("answer_digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captcha_challenges")),
    )
    with op.batch_alter_table("captcha_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_captcha_challenges_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "company_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("certificate_number", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("email_confirmed_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_company_accounts_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_accounts")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_company_accounts_organization_id")),
    )
    op.create_table(
        "company_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["company_accounts.id"],
            name=op.f("fk_company_sessions_account_id_company_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_sessions")),
    )
    with op.batch_alter_table("company_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_company_sessions_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_company_sessions_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "pending_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("generar_contrasena", name="signaturepurpose", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("folio", sa.String(length=10), nullable=False),
        sa.Column("cadena", sa.Text(), nullable=False),
        sa.Column("sello", sa.Text(), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_number", sa.String(length=20), nullable=False),
        sa.Column("signed_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["company_accounts.id"],
            name=op.f("fk_pending_signatures_account_id_company_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_signatures")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_signatures_token_hash")),
    )
    with op.batch_alter_table("pending_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_signatures_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pending_signatures_expires_at"), ["expires_at"], unique=False
        )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cadena", sa.Text(), server_default="", nullable=False))

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sia_password_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("uq_organizations_kind_rfc"), type_="unique")
        batch_op.create_index(
            "uq_organizations_desarrollador_rfc",
            ["rfc"],
            unique=True,
            postgresql_where=sa.text("kind = 'desarrollador'"),
            sqlite_where=sa.text("kind = 'desarrollador'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_organizations_desarrollador_rfc",
            postgresql_where=sa.text("kind = 'desarrollador'"),
            sqlite_where=sa.text("kind = 'desarrollador'"),
        )
        batch_op.create_unique_constraint(batch_op.f("uq_organizations_kind_rfc"), ["kind", "rfc"])
        batch_op.drop_column("sia_password_version")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("cadena")

    with op.batch_alter_table("pending_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_signatures_expires_at"))
        batch_op.drop_index(batch_op.f("ix_pending_signatures_account_id"))

    op.drop_table("pending_signatures")
    with op.batch_alter_table("company_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_company_sessions_account_id"))

    op.drop_table("company_sessions")
    op.drop_table("company_accounts")
    with op.batch_alter_table("captcha_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_captcha_challenges_expires_at"))

    op.drop_table("captcha_challenges")
