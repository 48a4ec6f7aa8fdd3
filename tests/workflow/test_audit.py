import itertools

import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, col, select

from cli.main import sia
from schema import AuditEvent
from workflow.audit import record_event, verify_chain


def _append(engine, n: int) -> None:
    with Session(engine) as session:
        for i in range(n):
            record_event(
                session,
                actor="staff:1",
                action="demo",
                entity_type="certification",
                entity_id=i,
                data={"n": i, "texto": "año ñandú"},
            )
        session.commit()


def _tamper(engine, sql: str) -> None:
    """Bypass the append-only triggers, as an attacker with database access could."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            conn.execute(sa.text(sql))
            conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        else:
            conn.execute(sa.text("DROP TRIGGER audit_events_no_update"))
            conn.execute(sa.text("DROP TRIGGER audit_events_no_delete"))
            conn.execute(sa.text(sql))


def _verify(engine):
    with Session(engine) as session:
        return verify_chain(session)


def test_events_chain_and_verify(engine):
    _append(engine, 5)
    report = _verify(engine)
    assert report.ok and report.events_checked == 5
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [e.id for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))


def test_rolled_back_event_leaves_no_trace(engine):
    _append(engine, 2)
    with Session(engine) as session:
        record_event(session, actor="x", action="y", entity_type="z", entity_id=1)
        session.rollback()
    _append(engine, 1)
    assert _verify(engine).events_checked == 3


def test_changed_field_is_reported_at_its_event(engine):
    _append(engine, 5)
    _tamper(engine, "UPDATE audit_events SET reason = 'oops' WHERE id = 3")
    report = _verify(engine)
    assert not report.ok and report.broken_at == 3
    assert "hash" in (report.problem or "")


def test_deleted_middle_event_is_reported(engine):
    _append(engine, 5)
    _tamper(engine, "DELETE FROM audit_events WHERE id = 2")
    report = _verify(engine)
    assert report.broken_at == 2 and "falta" in (report.problem or "")


def test_deleted_tail_is_reported_through_the_head(engine):
    _append(engine, 4)
    _tamper(engine, "DELETE FROM audit_events WHERE id = 4")
    report = _verify(engine)
    assert report.broken_at == 4


def test_cli_audit_verify_exit_codes(settings, engine):
    _append(engine, 3)
    ok = CliRunner().invoke(sia, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "verificados: 3" in ok.output
    _tamper(engine, "UPDATE audit_events SET actor = 'otro' WHERE id = 2")
    broken = CliRunner().invoke(sia, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "evento 2" in broken.output
