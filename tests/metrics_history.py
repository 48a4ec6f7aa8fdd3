"""A small certification history for the metrics, placed in three weeks of January 2026 (Mexico
City time) through the real state machine, the decision workflow and the dispatch; uploads are
made by hand so each one carries exactly the automatic findings a test needs.

Weeks: 1 = 05–11 Jan, 2 = 12–18 Jan, 3 = 19–25 Jan 2026 (no non-working weekday among them).

    A  sent 15 Dec 2025; accepted Tue 06 (T2-TOTAL-MISMATCH ×2, T4-SCHEMA); rejected Tue 13
       (5 business days); round 2 sent Wed 14, accepted Tue 20 (T2-TOTAL-MISMATCH); approved
       Thu 22 (2 business days)
    B  sent Wed 07; accepted Thu 08 (no findings); approved Mon 19 (7 business days: late)
    C  sent Sun 11 at 23:30 (still week 1 locally, already week 2 in UTC); an upload on Tue 27,
       after the period (WB-FORMAT)
    D  sent 16 Dec 2025; accepted Thu 15 (T4-SCHEMA); rejected Wed 21 (4 business days)
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import travel_to
from core.security import hash_password
from rules.calendar import MEXICO_CITY
from rules.identities import fake_persona
from schema import (
    Certification,
    EvidenceSubmission,
    Finding,
    FindingSource,
    ReviewDecision,
    Severity,
    StaffRole,
    StaffUser,
    SubmissionStatus,
    TestSet,
    Verdict,
)
from tests.certifications import request_and_dispatch
from workflow.decisions import Decision, decide
from workflow.dispatch import dispatch_test_set
from workflow.state_machine import Event, transition

START, END = date(2026, 1, 5), date(2026, 1, 25)
_people = random.Random(12)
RFCS = [
    fake_persona(_people, born_from=date(1960, 1, 1), born_to=date(1990, 12, 31)).rfc
    for _ in range(4)
]


def local(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MEXICO_CITY)


def accept(engine: Engine, cert_id: int, at: datetime, codes: Sequence[str] = ()) -> None:
    """An upload of the current round with ``codes`` as its automatic findings, accepted."""
    with travel_to(at), Session(engine) as session:
        cert = session.get_one(Certification, cert_id)
        test_set = session.exec(
            select(TestSet).where(TestSet.certification_id == cert_id, TestSet.round == cert.round)
        ).one()
        assert test_set.id is not None
        submission = EvidenceSubmission(
            certification_id=cert_id,
            test_set_id=test_set.id,
            round=cert.round,
            uploaded_by="test",
            uploaded_at=at,
            size_bytes=1,
            sha256=hashlib.sha256(f"{cert_id}-{at}".encode()).hexdigest(),
            original_name="evidencias.xlsx",
            status=SubmissionStatus.ACEPTADA,
            verdict=Verdict.CON_INCONSISTENCIAS if codes else Verdict.SIN_INCONSISTENCIAS,
            checked_at=at,
        )
        session.add(submission)
        session.flush()
        assert submission.id is not None
        for code in codes:
            session.add(
                Finding(
                    submission_id=submission.id,
                    source=FindingSource.AUTOMATICO,
                    code=code,
                    severity=Severity.ERROR,
                    message="Hallazgo de prueba.",
                )
            )
        transition(session, cert, Event.EVIDENCE_ACCEPTED, actor="test")
        session.commit()


def decide_at(engine: Engine, cert_id: int, at: datetime, approve: bool) -> None:
    with travel_to(at), Session(engine) as session:
        cert = session.get_one(Certification, cert_id)
        reviewer = session.exec(select(StaffUser).where(StaffUser.email == REVIEWER)).one()
        decision = ReviewDecision.APROBADA if approve else ReviewDecision.CON_INCONSISTENCIAS
        # Rejecting passes the findings on to the vendor as the reviewer's: they must not count.
        passed_on = session.exec(
            select(col(Finding.id))
            .join(EvidenceSubmission, col(EvidenceSubmission.id) == Finding.submission_id)
            .where(
                EvidenceSubmission.certification_id == cert_id,
                EvidenceSubmission.round == cert.round,
                Finding.source == FindingSource.AUTOMATICO,
            )
        ).all()
        chosen = [] if approve else [i for i in passed_on if i is not None]
        decide(
            session, cert, reviewer, Decision(decision, "Diferencias revisadas a detalle.", chosen)
        )
        session.commit()


def dispatch_at(engine: Engine, cert_id: int, at: datetime) -> None:
    with travel_to(at), Session(engine) as session:
        assert dispatch_test_set(session, cert_id) is not None
        session.commit()


REVIEWER = "historia@infonavit.example"


def build_history(engine: Engine) -> dict[str, int]:
    """The certifications A to D of the module's docstring, by name."""
    with Session(engine) as session:
        session.add(
            StaffUser(
                email=REVIEWER,
                full_name="Revisora de la historia",
                role=StaffRole.REVISOR,
                password_hash=hash_password("contraseña-de-la-historia"),
            )
        )
        session.commit()
    a = request_and_dispatch(engine, RFCS[0], local(12, 15, year=2025))
    d = request_and_dispatch(engine, RFCS[3], local(12, 16, year=2025))
    accept(engine, a, local(1, 6), ["T2-TOTAL-MISMATCH", "T2-TOTAL-MISMATCH", "T4-SCHEMA"])
    b = request_and_dispatch(engine, RFCS[1], local(1, 7))
    accept(engine, b, local(1, 8))
    c = request_and_dispatch(engine, RFCS[2], local(1, 11, 23, 30))
    decide_at(engine, a, local(1, 13), approve=False)
    dispatch_at(engine, a, local(1, 14))
    accept(engine, d, local(1, 15), ["T4-SCHEMA"])
    decide_at(engine, b, local(1, 19), approve=True)
    accept(engine, a, local(1, 20), ["T2-TOTAL-MISMATCH"])
    decide_at(engine, d, local(1, 21), approve=False)
    decide_at(engine, a, local(1, 22), approve=True)
    accept(engine, c, local(1, 27), ["WB-FORMAT"])
    return {"A": a, "B": b, "C": c, "D": d}
