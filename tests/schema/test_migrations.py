"""Migrations go up and down on both databases, and the models never drift from them."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import schema
from core.db import make_engine
from schema.migrate import downgrade, upgrade


def _tables(url: str) -> set[str]:
    eng = make_engine(url)
    try:
        return set(sa.inspect(eng).get_table_names()) - {"alembic_version"}
    finally:
        eng.dispose()


def test_upgrade_downgrade_upgrade(db_url):
    assert _tables(db_url) == set(schema.metadata.tables)
    downgrade(db_url, "base")
    assert _tables(db_url) == set()
    upgrade(db_url)
    assert _tables(db_url) == set(schema.metadata.tables)


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, schema.metadata)
    assert diff == [], f"models differ from migrations; run alembic revision --autogenerate: {diff}"


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"]
)
def test_audit_events_are_append_only_in_the_database(engine, statement):
    from sqlmodel import Session

    from workflow.audit import record_event

    with Session(engine) as session:
        record_event(session, actor="t", action="a", entity_type="e", entity_id=1)
        session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement))


def test_running_terms_become_clocks_and_come_back_on_downgrade(db_url):
    """The clocks migration carries each running term over from the certification's columns."""
    downgrade(db_url, "35717fe4ddd0")
    eng = make_engine(db_url)
    due = "2026-03-18 05:59:59"
    try:
        with eng.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO organizations (id, kind, rfc, razon_social, email, created_at) "
                    "VALUES (1, 'desarrollador', 'CAC840428RH1', 'N', 'a@b.example', :t)"
                ),
                {"t": "2026-01-09 16:00:00"},
            )
            for cid, state, evidence, review in (
                (1, "en_espera_de_documentos", due, None),
                (2, "en_analisis", None, due),
                (3, "certificada", None, None),
            ):
                conn.execute(
                    sa.text(
                        "INSERT INTO certifications (id, folio, vendor_id, state, round, version, "
                        "requested_at, state_changed_at, evidence_due_at, review_due_at) VALUES "
                        "(:id, :folio, 1, :state, 1, 1, :t, :t, :evidence, :review)"
                    ),
                    {
                        "id": cid,
                        "folio": f"050000000{cid}",
                        "state": state,
                        "t": "2026-01-09 16:00:00",
                        "evidence": evidence,
                        "review": review,
                    },
                )
        upgrade(db_url)
        with eng.connect() as conn:
            clocks = conn.execute(
                sa.text(
                    "SELECT certification_id, kind, state, term_days, next_at IS NOT NULL "
                    "FROM clocks ORDER BY certification_id"
                )
            ).all()
        assert [tuple(c) for c in clocks] == [
            (1, "evidencia", "corriendo", 45, True),
            (2, "revision", "corriendo", 5, True),
        ]
        downgrade(db_url, "35717fe4ddd0")
        with eng.connect() as conn:
            back = conn.execute(
                sa.text(
                    "SELECT id, evidence_due_at IS NOT NULL, review_due_at IS NOT NULL "
                    "FROM certifications ORDER BY id"
                )
            ).all()
        assert [tuple(r) for r in back] == [(1, True, False), (2, False, True), (3, False, False)]
    finally:
        eng.dispose()
        upgrade(db_url)
