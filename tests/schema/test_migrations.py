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
