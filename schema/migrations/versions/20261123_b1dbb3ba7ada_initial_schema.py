"""initial schema

Revision ID: b1dbb3ba7ada
Revises:
Create Date: 2026-11-23 03:12:26.167037
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import schema.base

revision: str = "b1dbb3ba7ada"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=True),
        sa.Column("to_state", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_entity", ["entity_type", "entity_id"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "folio_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("issued_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folio_issues")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "non_working_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_non_working_days")),
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "desarrollador", "patron", name="organizationkind", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("rfc", sa.String(length=13), nullable=False),
        sa.Column("razon_social", sa.String(length=300), nullable=False),
        sa.Column("nrp", sa.String(length=11), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("sia_password_hash", sa.String(length=200), nullable=True),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("kind", "rfc", name="uq_organizations_kind_rfc"),
        sa.UniqueConstraint("nrp", name=op.f("uq_organizations_nrp")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_rfc"), ["rfc"], unique=False)

    op.create_table(
        "outbox_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column(
            "recipients",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "attachments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pendiente",
                "enviando",
                "enviado",
                "fallido",
                name="outboxstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_emails")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_emails_idempotency_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_emails_message_id")),
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_emails_status_next", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "revisor",
                "supervisor",
                "administrador",
                name="staffrole",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_users_email")),
    )
    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folio", sa.String(length=10), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "solicitada",
                "en_espera_de_documentos",
                "en_analisis",
                "con_inconsistencias",
                "aprobada_pendiente_de_firma",
                "certificada",
                "vencida",
                "cancelada",
                name="certificationstate",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requested_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state_changed_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("evidence_due_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_due_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["organizations.id"],
            name=op.f("fk_certifications_vendor_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint("folio", name=op.f("uq_certifications_folio")),
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certifications_state"), ["state"], unique=False)
        batch_op.create_index(
            "ix_certifications_state_due", ["state", "evidence_due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certifications_vendor_id"), ["vendor_id"], unique=False
        )

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folio", sa.String(length=10), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "responsiva_contrasena",
                "acuse_solicitud",
                "acuse_aprobacion",
                "acuse_cancelacion",
                "acuse_relacion",
                "acuse_cancelacion_relacion",
                name="documentkind",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_path", sa.String(length=500), nullable=False),
        sa.Column("signer_rfc", sa.String(length=13), nullable=False),
        sa.Column("certificate_number", sa.String(length=20), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_documents_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_documents_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("folio", name=op.f("uq_documents_folio")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_documents_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "test_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("folio", sa.String(length=10), nullable=False),
        sa.Column("seed", sa.String(length=100), nullable=False),
        sa.Column("emitted_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("patron_rfc", sa.String(length=13), nullable=False),
        sa.Column("patron_nrp", sa.String(length=11), nullable=False),
        sa.Column("sandbox_password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "avisos_responses",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_test_sets_certification_id_certifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_sets")),
        sa.UniqueConstraint("certification_id", "round", name="uq_test_sets_certification_round"),
        sa.UniqueConstraint("folio", name=op.f("uq_test_sets_folio")),
    )
    with op.batch_alter_table("test_sets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_test_sets_certification_id"), ["certification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_test_sets_patron_nrp"), ["patron_nrp"], unique=False)

    op.create_table(
        "evidence_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("test_set_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "recibida",
                "ilegible",
                "aceptada",
                "revisada",
                name="submissionstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "reading",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "verdict",
            sa.Enum(
                "ilegible",
                "con_inconsistencias",
                "sin_inconsistencias",
                name="verdict",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column("checked_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_evidence_submissions_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["test_set_id"],
            ["test_sets.id"],
            name=op.f("fk_evidence_submissions_test_set_id_test_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_submissions")),
        sa.UniqueConstraint(
            "certification_id", "round", "sha256", name="uq_evidence_submissions_round_sha256"
        ),
    )
    with op.batch_alter_table("evidence_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_submissions_certification_id"),
            ["certification_id"],
            unique=False,
        )

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("automatico", "revisor", name="findingsource", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "severity",
            sa.Enum("error", "warning", name="severity", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("tab", sa.Integer(), nullable=True),
        sa.Column("case", sa.String(length=10), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("expected", sa.String(length=200), nullable=True),
        sa.Column("actual", sa.String(length=200), nullable=True),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["evidence_submissions.id"],
            name=op.f("fk_findings_submission_id_evidence_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_findings_submission_id"), ["submission_id"], unique=False
        )

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "aprobada",
                "con_inconsistencias",
                name="reviewdecision",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_reviews_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["staff_users.id"], name=op.f("fk_reviews_reviewer_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["evidence_submissions.id"],
            name=op.f("fk_reviews_submission_id_evidence_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_reviews_submission_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviews_certification_id"), ["certification_id"], unique=False
        )

    op.execute(
        "INSERT INTO audit_head (id, last_event_id, last_hash) VALUES (1, 0, '" + "0" * 64 + "')"
    )
    _create_append_only_guards()


# The audit log is append-only at the database level too: even a bug or a careless UPDATE from
# a console cannot rewrite history; only the hash chain's verification could then tell.
_PG_GUARD = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
"""


def _create_append_only_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )


def _drop_append_only_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_update ON audit_events")
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
        return
    op.execute("DROP TRIGGER audit_events_no_update")
    op.execute("DROP TRIGGER audit_events_no_delete")


def downgrade() -> None:
    _drop_append_only_guards()

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_certification_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_submission_id"))

    op.drop_table("findings")
    with op.batch_alter_table("evidence_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_submissions_certification_id"))

    op.drop_table("evidence_submissions")
    with op.batch_alter_table("test_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_test_sets_patron_nrp"))
        batch_op.drop_index(batch_op.f("ix_test_sets_certification_id"))

    op.drop_table("test_sets")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_organization_id"))

    op.drop_table("documents")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifications_vendor_id"))
        batch_op.drop_index("ix_certifications_state_due")
        batch_op.drop_index(batch_op.f("ix_certifications_state"))

    op.drop_table("certifications")
    op.drop_table("staff_users")
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_emails_status_next")

    op.drop_table("outbox_emails")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_rfc"))

    op.drop_table("organizations")
    op.drop_table("non_working_days")
    op.drop_table("folio_issues")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
