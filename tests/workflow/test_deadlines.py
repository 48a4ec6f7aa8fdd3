"""The deadline scan through the real flow: a certification requested, its test set dispatched on
a given day, then scans at chosen moments (DOMAIN §3, §4)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import date, datetime, timedelta
from functools import partial

import pytest
from sqlmodel import Session, col, func, select

from core.clock import travel_to
from core.db import session_scope
from core.security import hash_password
from rules.calendar import MEXICO_CITY
from rules.identities import fake_persona
from schema import (
    AuditEvent,
    Certification,
    CertificationState,
    ClockActionRecord,
    ClockKind,
    ClockState,
    OutboxEmail,
    StaffRole,
    StaffUser,
)
from tests.certifications import request_and_dispatch
from workflow import deadlines
from workflow.clocks import current_clock
from workflow.deadlines import ScanSummary, scan
from workflow.dispatch import dispatch_test_set
from workflow.state_machine import Event, transition

S = CertificationState
_people = random.Random(11)
RFCS = [
    fake_persona(_people, born_from=date(1960, 1, 1), born_to=date(1990, 12, 31)).rfc
    for _ in range(5)
]
SENT = datetime(2026, 1, 9, 10, 0, tzinfo=MEXICO_CITY)  # DOMAIN §4: 45th business day 2026-03-17


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MEXICO_CITY)


def _request_and_dispatch(engine, rfc: str = "CAC840428RH1", at: datetime = SENT) -> int:
    return request_and_dispatch(engine, rfc, at)


def _scan(engine, at: datetime) -> ScanSummary:
    with travel_to(at):
        return scan(partial(session_scope, engine))


def _emails(engine, template: str) -> list[OutboxEmail]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxEmail)
                .where(OutboxEmail.template == template)
                .order_by(col(OutboxEmail.id))
            )
        )


def _certification(engine, certification_id: int) -> Certification:
    with Session(engine) as session:
        found = session.get(Certification, certification_id)
        assert found is not None
        return found


def test_the_evidence_term_expires_just_after_its_last_day(settings, engine, sent_tasks):
    cert_id = _request_and_dispatch(engine)
    assert _scan(engine, local(2026, 3, 17, 23, 59)).expired == []
    assert _certification(engine, cert_id).state is S.EN_ESPERA_DE_DOCUMENTOS

    summary = _scan(engine, local(2026, 3, 18, 0, 0))
    folio = _certification(engine, cert_id).folio
    assert summary.expired == [folio]
    assert _certification(engine, cert_id).state is S.VENCIDA
    [expiry] = _emails(engine, "vencimiento")
    assert expiry.context["folio"] == folio
    assert datetime.fromisoformat(expiry.context["fecha_limite"]).astimezone(
        MEXICO_CITY
    ).date() == date(2026, 3, 17)
    with Session(engine) as session:
        certification = _certification(engine, cert_id)
        clock = current_clock(session, certification, ClockKind.EVIDENCIA)
        assert clock is not None and clock.state is ClockState.VENCIDO and clock.next_at is None
        expired = session.exec(
            select(AuditEvent).where(AuditEvent.action == "certification.expired")
        ).one()
    assert expired.from_state == "en_espera_de_documentos" and expired.to_state == "vencida"

    again = _scan(engine, local(2026, 3, 18, 0, 5))
    assert again.to_json()["vencidas"] == [] and len(_emails(engine, "vencimiento")) == 1


def test_a_certification_walked_day_by_day_gets_the_10_3_and_0_day_reminders(
    settings, engine, sent_tasks
):
    from click.testing import CliRunner

    from cli.main import sia

    cert_id = _request_and_dispatch(engine)
    runner = CliRunner()
    day = SENT.date()
    while day <= date(2026, 3, 19):
        for hour in (8, 12, 23):  # several scans a day: each reminder goes out once
            moment = datetime(day.year, day.month, day.day, hour, tzinfo=MEXICO_CITY)
            result = runner.invoke(sia, ["deadlines", "scan", "--now", moment.isoformat()])
            assert result.exit_code == 0, result.output
        day += timedelta(days=1)

    reminders = _emails(engine, "recordatorio_plazo")
    assert [e.context["dias_restantes"] for e in reminders] == [10, 3, 0]
    with Session(engine) as session:
        sent_on = [
            a.acted_at.astimezone(MEXICO_CITY).date()
            for a in session.exec(select(ClockActionRecord).order_by(col(ClockActionRecord.id)))
        ]
    # 10 and 3 business days before Tue 2026-03-17 (Mon 03-16 is a rest day by law), the day
    # itself, then the expiry.
    assert sent_on == [date(2026, 3, 2), date(2026, 3, 11), date(2026, 3, 17), date(2026, 3, 18)]
    assert _certification(engine, cert_id).state is S.VENCIDA
    assert len(_emails(engine, "vencimiento")) == 1


def test_a_reminder_whose_moment_passed_during_an_outage_is_not_sent_late(
    settings, engine, sent_tasks, caplog
):
    _request_and_dispatch(engine)
    summary = _scan(engine, local(2026, 3, 5))  # the 10-day reminder was due on 03-02
    assert summary.reminders == []
    assert [r["dias"] for r in summary.skipped_reminders] == [10]
    assert "not sent" in caplog.text
    assert _emails(engine, "recordatorio_plazo") == []
    assert [r["dias"] for r in _scan(engine, local(2026, 3, 11, 10)).reminders] == [3]


def test_a_second_round_has_no_ten_day_reminder(settings, engine, sent_tasks):
    cert_id = _request_and_dispatch(engine)
    with travel_to(local(2026, 3, 12)), Session(engine) as session:
        certification = session.get(Certification, cert_id)
        assert certification is not None
        transition(session, certification, Event.EVIDENCE_ACCEPTED, actor="t")
        transition(session, certification, Event.REJECTED, actor="staff:1", reason="montos")
        session.commit()
    with travel_to(local(2026, 3, 25)), Session(engine) as session:
        dispatch_test_set(session, cert_id)  # round 2: 10 business days, last one 2026-04-08
        session.commit()
    reminders = [
        r
        for moment in (local(2026, 3, 25, 12), local(2026, 4, 3), local(2026, 4, 8))
        for r in _scan(engine, moment).reminders
    ]
    assert reminders == [
        {"folio": _certification(engine, cert_id).folio, "ronda": 2, "dias": 3},
        {"folio": _certification(engine, cert_id).folio, "ronda": 2, "dias": 0},
    ]


def test_an_upload_still_being_examined_holds_the_expiry(settings, engine, folio, sent_tasks):
    from fastapi.testclient import TestClient

    from review.app import create_app
    from tests.vendor import GOOD, PASSWORD, RFC
    from workers.tasks.evidence import examine

    with Session(engine) as session:
        certification = session.exec(
            select(Certification).where(Certification.folio == folio)
        ).one()
        clock = current_clock(session, certification, ClockKind.EVIDENCIA)
        assert clock is not None
        due = clock.due_at
    with travel_to(due - timedelta(minutes=1)):
        response = TestClient(create_app()).post(
            f"/api/v1/certificaciones/{folio}/evidencias",
            files={"archivo": ("e.xlsx", GOOD, "application/octet-stream")},
            auth=(RFC, PASSWORD),
        )
    assert response.status_code == 202
    held = _scan(engine, due + timedelta(minutes=5))
    assert held.expired == [] and held.waiting_for_examination == [folio]
    with travel_to(due + timedelta(minutes=6)):
        assert examine(response.json()["id"])["status"] == "aceptada"
    assert _scan(engine, due + timedelta(minutes=10)).expired == []
    with Session(engine) as session:
        state = session.exec(select(Certification.state).where(Certification.folio == folio)).one()
    assert state is S.EN_ANALISIS


def test_a_breached_review_sla_alerts_the_supervisors_once_and_decides_nothing(
    settings, engine, sent_tasks
):
    with Session(engine) as session:
        session.add_all(
            StaffUser(email=email, full_name="S", role=role, password_hash=hash_password("x" * 12))
            for email, role in (
                ("supervisora@infonavit.example", StaffRole.SUPERVISOR),
                ("revisor@infonavit.example", StaffRole.REVISOR),
            )
        )
        session.commit()
    ids = [_request_and_dispatch(engine, rfc) for rfc in RFCS[:2]]
    with travel_to(local(2026, 3, 12)), Session(engine) as session:  # SLA: 5th day 2026-03-20
        for cert_id in ids:
            certification = session.get(Certification, cert_id)
            assert certification is not None
            transition(session, certification, Event.EVIDENCE_ACCEPTED, actor="t")
        reviewer = session.exec(select(StaffUser).where(StaffUser.role == StaffRole.REVISOR)).one()
        first = session.get(Certification, ids[0])
        assert first is not None
        first.reviewer_id = reviewer.id
        session.add(first)
        session.commit()
    assert _scan(engine, local(2026, 3, 20, 23, 59)).sla_alerts == []
    summary = _scan(engine, local(2026, 3, 21, 8))
    folios = [_certification(engine, i).folio for i in ids]
    assert sorted(summary.sla_alerts) == sorted(folios)
    [alert] = _emails(engine, "alerta_sla_revision")
    assert alert.recipients == ["supervisora@infonavit.example"]
    assert sorted(c["folio"] for c in alert.context["certificaciones"]) == sorted(folios)
    reviewers = {c["folio"]: c["revisor"] for c in alert.context["certificaciones"]}
    assert reviewers == {folios[0]: "S", folios[1]: None}  # the assigned one, or nobody yet
    assert all(_certification(engine, i).state is S.EN_ANALISIS for i in ids)
    assert _scan(engine, local(2026, 3, 23, 8)).sla_alerts == []
    assert len(_emails(engine, "alerta_sla_revision")) == 1


def test_a_scan_that_dies_midway_is_finished_by_the_next_one(
    settings, engine, sent_tasks, monkeypatch
):
    ids = [_request_and_dispatch(engine, rfc) for rfc in RFCS[:3]]
    real_expire, calls = deadlines._expire, []

    def dies_on_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        real_expire(*args, **kwargs)

    monkeypatch.setattr(deadlines, "_expire", dies_on_the_second)
    with pytest.raises(SystemExit):
        _scan(engine, local(2026, 3, 18, 1))
    assert sorted(c.state for c in map(partial(_certification, engine), ids)).count(S.VENCIDA) == 1
    monkeypatch.setattr(deadlines, "_expire", real_expire)
    finished = _scan(engine, local(2026, 3, 18, 2))
    assert len(finished.expired) == 2
    assert all(_certification(engine, i).state is S.VENCIDA for i in ids)
    assert len(_emails(engine, "vencimiento")) == 3
    with Session(engine) as session:
        expiries = session.exec(
            select(func.count()).where(AuditEvent.action == "certification.expired")
        ).one()
    assert expiries == 3


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_scans_at_once_act_once_per_due_item(settings, engine, db_url, tmp_path, sent_tasks):
    ids = [_request_and_dispatch(engine, rfc) for rfc in RFCS]
    env = {
        **os.environ,
        "SIA_DATABASE_URL": db_url,
        "SIA_VAR_DIR": str(tmp_path / "var"),
        "SIA_BROKER_URL": "memory://",
    }
    command = [sys.executable, "-m", "cli.main", "deadlines", "scan", "--now"]
    # On 2026-03-11 at 10:00 the 3-day reminder is due; after 03-17 the expiry.
    for moment in ("2026-03-11T10:00:00-06:00", "2026-03-18T01:00:00-06:00"):
        scans = [
            subprocess.Popen([*command, moment], env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for process in scans:
            process.wait(120)
            assert process.returncode == 0
    assert [e.context["dias_restantes"] for e in _emails(engine, "recordatorio_plazo")] == [3] * 5
    assert len(_emails(engine, "vencimiento")) == 5
    assert all(_certification(engine, i).state is S.VENCIDA for i in ids)
    with Session(engine) as session:
        transitions = session.exec(
            select(func.count()).where(AuditEvent.action == "certification.expired")
        ).one()
        actions = session.exec(select(func.count()).select_from(ClockActionRecord)).one()
    # Per certification: the 10-day reminder (skipped: long past), the 3-day one, the 0-day one
    # (skipped: the deadline is over), the expiry.
    assert (transitions, actions) == (5, 20)


def test_with_nobody_to_alert_a_breached_sla_stays_due_until_somebody_can_read_it(
    settings, engine, sent_tasks, caplog
):
    cert_id = _request_and_dispatch(engine)
    with travel_to(local(2026, 3, 12)), Session(engine) as session:
        certification = session.get(Certification, cert_id)
        assert certification is not None
        transition(session, certification, Event.EVIDENCE_ACCEPTED, actor="t")
        session.commit()
    assert _scan(engine, local(2026, 3, 23)).sla_alerts == []
    assert "no active supervisor" in caplog.text
    with Session(engine) as session:
        session.add(
            StaffUser(
                email="admin@infonavit.example",
                full_name="A",
                role=StaffRole.ADMINISTRADOR,
                password_hash=hash_password("x" * 12),
            )
        )
        session.commit()
    assert _scan(engine, local(2026, 3, 23, 10)).sla_alerts == [
        _certification(engine, cert_id).folio
    ]
    [alert] = _emails(engine, "alerta_sla_revision")
    assert alert.recipients == ["admin@infonavit.example"]
