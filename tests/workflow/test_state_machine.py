import threading
from datetime import date, datetime

import pytest
from sqlmodel import Session, select

from core.clock import travel_to
from rules.calendar import MEXICO_CITY
from schema import (
    AuditEvent,
    Certification,
    CertificationState,
    Clock,
    ClockKind,
    ClockState,
    Organization,
    OrganizationKind,
)
from workflow.clocks import current_clock
from workflow.state_machine import (
    TRANSITIONS,
    Event,
    IllegalTransition,
    allowed_events,
    open_certification,
    transition,
)

S = CertificationState

# DOMAIN §3, written out independently of the code's table.
EXPECTED = {
    (S.SOLICITADA, Event.TEST_SET_SENT): S.EN_ESPERA_DE_DOCUMENTOS,
    (S.CON_INCONSISTENCIAS, Event.TEST_SET_SENT): S.EN_ESPERA_DE_DOCUMENTOS,
    (S.EN_ESPERA_DE_DOCUMENTOS, Event.EVIDENCE_ACCEPTED): S.EN_ANALISIS,
    (S.EN_ESPERA_DE_DOCUMENTOS, Event.EXPIRED): S.VENCIDA,
    (S.EN_ESPERA_DE_DOCUMENTOS, Event.CANCELLED): S.CANCELADA,
    (S.EN_ANALISIS, Event.APPROVED): S.APROBADA_PENDIENTE_DE_FIRMA,
    (S.EN_ANALISIS, Event.REJECTED): S.CON_INCONSISTENCIAS,
    (S.APROBADA_PENDIENTE_DE_FIRMA, Event.TERMS_SIGNED): S.CERTIFICADA,
    (S.CERTIFICADA, Event.CANCELLED): S.CANCELADA,
}


def _vendor(session: Session) -> Organization:
    existing = session.exec(select(Organization)).first()
    if existing is not None:
        return existing
    vendor = Organization(
        kind=OrganizationKind.DESARROLLADOR,
        rfc="CAC840428RH1",
        razon_social="Nóminas Ñandú, S.A. de C.V.",
        email="certificacion@nandu.example",
    )
    session.add(vendor)
    session.flush()
    return vendor


def _certification_in(session: Session, state: S) -> Certification:
    cert = open_certification(session, _vendor(session), actor="vendor:CAC840428RH1")
    # Only the fixture jumps straight to a state; production code always goes through transition().
    cert.state = state
    session.add(cert)
    session.flush()
    return cert


def _load(session: Session, cert_id: int | None) -> Certification:
    return session.exec(select(Certification).where(Certification.id == cert_id)).one()


def test_table_matches_domain():
    table = {
        (source, event): move.target
        for event, move in TRANSITIONS.items()
        for source in move.sources
    }
    assert table == EXPECTED


def test_every_state_event_pair(engine):
    with Session(engine) as session:
        for state in S:
            for event in Event:
                cert = _certification_in(session, state)
                expected = EXPECTED.get((state, event))
                if expected is None:
                    with pytest.raises(IllegalTransition, match=state.label):
                        transition(session, cert, event, actor="t")
                    assert event not in allowed_events(state)
                    continue
                audit = transition(
                    session,
                    cert,
                    event,
                    actor="staff:7",
                    reason="motivo",
                )
                assert cert.state is expected
                assert (audit.from_state, audit.to_state) == (state.value, expected.value)
                assert audit.actor == "staff:7" and audit.reason == "motivo"
                assert audit.action == f"certification.{event.value}"
        session.commit()


def test_open_certification_issues_folio_and_audit_event(engine):
    with Session(engine) as session:
        a = open_certification(session, _vendor(session), actor="vendor:X")
        session.commit()
        events = session.exec(select(AuditEvent)).all()
        assert a.state is S.SOLICITADA and len(a.folio) == 10 and a.folio.isdigit()
        assert [(e.action, e.to_state) for e in events] == [
            ("certification.requested", "solicitada")
        ]


def _local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=MEXICO_CITY)


def test_timed_states_start_and_stop_their_clocks(engine):
    """DOMAIN §4's worked examples, through the state machine: 45 business days from
    2026-01-09, 5 from 2026-03-12, 10 from 2026-03-25."""
    with Session(engine) as session:
        cert = _certification_in(session, S.SOLICITADA)

        def clock(kind: ClockKind) -> Clock:
            found = current_clock(session, cert, kind)
            assert found is not None
            return found

        def last_day(kind: ClockKind) -> date:
            return clock(kind).due_at.astimezone(MEXICO_CITY).date()

        with travel_to(_local(2026, 1, 9)):
            audit = transition(session, cert, Event.TEST_SET_SENT, actor="system")
        assert (cert.round, last_day(ClockKind.EVIDENCIA)) == (1, date(2026, 3, 17))
        assert clock(ClockKind.EVIDENCIA).due_at.astimezone(MEXICO_CITY).time().hour == 23
        assert datetime.fromisoformat(audit.data["deadline"]) == clock(ClockKind.EVIDENCIA).due_at
        with travel_to(_local(2026, 3, 12)):
            transition(session, cert, Event.EVIDENCE_ACCEPTED, actor="system")
        assert clock(ClockKind.EVIDENCIA).state is ClockState.DETENIDO
        assert last_day(ClockKind.REVISION) == date(2026, 3, 20)
        with travel_to(_local(2026, 3, 18)):
            transition(session, cert, Event.REJECTED, actor="staff:1", reason="montos")
        assert clock(ClockKind.REVISION).state is ClockState.DETENIDO
        with travel_to(_local(2026, 3, 25)):
            transition(session, cert, Event.TEST_SET_SENT, actor="system")
        assert (cert.round, cert.version) == (2, 5)
        assert last_day(ClockKind.EVIDENCIA) == date(2026, 4, 8)
        assert clock(ClockKind.EVIDENCIA).term_days == 10
        session.commit()


def test_rolled_back_transition_changes_nothing(engine):
    with Session(engine) as session:
        cert = _certification_in(session, S.EN_ESPERA_DE_DOCUMENTOS)
        session.commit()
        cert_id = cert.id
    with Session(engine) as session:
        cert = _load(session, cert_id)
        transition(session, cert, Event.EXPIRED, actor="beat")
        session.rollback()
    with Session(engine) as session:
        assert _load(session, cert_id).state is S.EN_ESPERA_DE_DOCUMENTOS
        assert [e.action for e in session.exec(select(AuditEvent)).all()] == [
            "certification.requested"
        ]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_racing_transitions_never_both_win(engine, db_url):
    with Session(engine) as session:
        cert = _certification_in(session, S.EN_ESPERA_DE_DOCUMENTOS)
        session.commit()
        cert_id = cert.id

    barrier = threading.Barrier(2)
    outcomes: dict[Event, str] = {}

    def attempt(event: Event) -> None:
        with Session(engine) as session:
            c = _load(session, cert_id)
            barrier.wait()  # both have read "En espera de documentos" before either locks
            try:
                transition(session, c, event, actor="race")
                session.commit()
                outcomes[event] = "won"
            except IllegalTransition:
                session.rollback()
                outcomes[event] = "lost"

    threads = [
        threading.Thread(target=attempt, args=(Event.EVIDENCE_ACCEPTED,)),
        threading.Thread(target=attempt, args=(Event.EXPIRED,)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["lost", "won"]
    with Session(engine) as session:
        final = _load(session, cert_id)
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action != "certification.requested")
        ).all()
    winner = next(e for e, o in outcomes.items() if o == "won")
    assert final.state is TRANSITIONS[winner].target
    assert len(events) == 1 and events[0].to_state == final.state.value
