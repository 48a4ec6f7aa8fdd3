"""A reviewer's decision: approve (with a justification when the checks found errors), or reject
with findings, which opens the next round; final for its round, once, whoever races."""

import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.security import hash_password
from schema import (
    AuditEvent,
    Certification,
    CertificationState,
    ClockKind,
    EvidenceSubmission,
    Finding,
    FindingSource,
    OutboxEmail,
    Review,
    ReviewDecision,
    Severity,
    StaffRole,
    StaffUser,
    SubmissionStatus,
)
from tests.review.reviewing import evaluation_cases, round_of, submit_for_review
from workflow.clocks import running_clock
from workflow.decisions import OBSERVATION_CODE, Decision, decide
from workflow.dispatch import DISPATCH_TASK, dispatch_test_set
from workflow.refusals import DecisionReason, DecisionRefused

REASON = "Revise el cálculo del seguro de daños en los casos de evaluación."
S = CertificationState


def _staff(engine: Engine, name: str) -> StaffUser:
    user = StaffUser(
        email=f"{name.lower()}@infonavit.example",
        full_name=name,
        role=StaffRole.REVISOR,
        password_hash=hash_password("contraseña-larga-de-prueba"),
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(user)
        session.commit()
    return user


def _certification(session: Session, folio: str) -> Certification:
    return session.exec(select(Certification).where(Certification.folio == folio)).one()


def _decide(engine: Engine, folio: str, who: StaffUser, decision: Decision) -> Review:
    with Session(engine, expire_on_commit=False) as session:
        review = decide(session, _certification(session, folio), who, decision)
        session.commit()
        return review


def _refusal(engine: Engine, folio: str, who: StaffUser, decision: Decision) -> DecisionRefused:
    with Session(engine) as session, pytest.raises(DecisionRefused) as refused:
        decide(session, _certification(session, folio), who, decision)
    return refused.value


def _automatic(engine: Engine, submission_id: int) -> list[Finding]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Finding)
                .where(Finding.submission_id == submission_id)
                .where(Finding.source == FindingSource.AUTOMATICO)
                .order_by(col(Finding.id))
            )
        )


def test_approving_a_clean_round_moves_it_and_queues_the_approval_email(
    engine, folio, reviewer, sent_tasks
):
    submission_id = submit_for_review(engine, folio)
    review = _decide(engine, folio, reviewer, Decision(ReviewDecision.APROBADA))
    with Session(engine) as session:
        certification = _certification(session, folio)
        assert certification.state is S.APROBADA_PENDIENTE_DE_FIRMA
        assert certification.reviewer_id == reviewer.id
        assert running_clock(session, certification, ClockKind.REVISION) is None
        submission = session.get(EvidenceSubmission, submission_id)
        assert submission is not None and submission.status is SubmissionStatus.REVISADA
        assert review.reviewer_id == reviewer.id and review.submission_id == submission_id
        email = session.exec(select(OutboxEmail).where(OutboxEmail.template == "aprobacion")).one()
        assert email.context == {"folio": folio, "razon_social": "Nóminas Ñandú"}
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "certification.approved")
        ).one()
        assert (
            event.actor == f"staff:{reviewer.id}"
            and event.to_state == S.APROBADA_PENDIENTE_DE_FIRMA
        )
    assert (DISPATCH_TASK, (certification.id,)) not in sent_tasks


def test_approving_despite_errors_needs_a_justification(engine, folio, reviewer, sent_tasks):
    case = evaluation_cases(round_of(engine, folio))[0]
    submit_for_review(engine, folio, wrong=[case])
    refused = _refusal(engine, folio, reviewer, Decision(ReviewDecision.APROBADA, "ok"))
    assert refused.reason is DecisionReason.JUSTIFICATION_REQUIRED
    assert "error" in str(refused) and "justificación" in str(refused)
    with Session(engine) as session:
        assert _certification(session, folio).state is S.EN_ANALISIS
        assert session.exec(select(Review)).all() == []
    justification = "Diferencia de redondeo aceptada por la normativa vigente."
    _decide(engine, folio, reviewer, Decision(ReviewDecision.APROBADA, justification))
    with Session(engine) as session:
        assert _certification(session, folio).state is S.APROBADA_PENDIENTE_DE_FIRMA
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "certification.approved")
        ).one()
        assert event.reason == justification and event.data["errors_overridden"] >= 1


def test_rejecting_passes_on_the_chosen_findings_and_opens_round_two(
    engine, folio, reviewer, sent_tasks
):
    case = evaluation_cases(round_of(engine, folio))[0]
    submission_id = submit_for_review(engine, folio, wrong=[case])
    mismatch = next(f for f in _automatic(engine, submission_id) if f.code == "T2-TOTAL-MISMATCH")
    assert mismatch.expected is not None
    refused = _refusal(engine, folio, reviewer, Decision(ReviewDecision.CON_INCONSISTENCIAS, " "))
    assert refused.reason is DecisionReason.REASON_REQUIRED

    decision = Decision(ReviewDecision.CON_INCONSISTENCIAS, REASON, (_id(mismatch.id),))
    _decide(engine, folio, reviewer, decision)
    with Session(engine) as session:
        certification = _certification(session, folio)
        assert certification.state is S.CON_INCONSISTENCIAS
        passed = session.exec(
            select(Finding).where(Finding.source == FindingSource.REVISOR).order_by(col(Finding.id))
        ).all()
    assert [(f.code, f.message) for f in passed] == [
        (OBSERVATION_CODE, REASON),
        ("T2-TOTAL-MISMATCH", mismatch.message.replace(f" esperado {mismatch.expected},", "")),
    ]
    assert mismatch.actual is not None and mismatch.actual in passed[1].message
    assert mismatch.expected not in passed[1].message
    # The vendor's copy never carries the expected amount (DOMAIN §9).
    assert all(f.expected is None and f.actual is None for f in passed)
    assert passed[1].case == case
    assert (DISPATCH_TASK, (certification.id,)) in sent_tasks

    # The dispatch task opens round 2: 10 business days, the findings in the email.
    with Session(engine) as session:
        dispatched = dispatch_test_set(session, _id(certification.id))
        session.commit()
    assert dispatched is not None and dispatched.round == 2
    with Session(engine) as session:
        certification = _certification(session, folio)
        assert (certification.state, certification.round) == (S.EN_ESPERA_DE_DOCUMENTOS, 2)
        clock = running_clock(session, certification, ClockKind.EVIDENCIA)
        assert clock is not None and clock.term_days == 10
        email = session.exec(
            select(OutboxEmail).where(OutboxEmail.template == "inconsistencias")
        ).one()
    assert [h["codigo"] for h in email.context["hallazgos"]] == [
        OBSERVATION_CODE,
        "T2-TOTAL-MISMATCH",
    ]


def test_a_finding_of_another_submission_is_refused(engine, folio, reviewer, sent_tasks):
    submission_id = submit_for_review(engine, folio)
    with Session(engine) as session:
        reviewed = session.get(EvidenceSubmission, submission_id)
        assert reviewed is not None
        refused_upload = EvidenceSubmission(
            certification_id=reviewed.certification_id,
            test_set_id=reviewed.test_set_id,
            round=1,
            uploaded_by="t",
            size_bytes=1,
            sha256="0" * 64,
            original_name="otro.xlsx",
            status=SubmissionStatus.ILEGIBLE,
        )
        session.add(refused_upload)
        session.flush()
        stranger = Finding(
            submission_id=_id(refused_upload.id),
            source=FindingSource.AUTOMATICO,
            code="WB-FORMAT",
            severity=Severity.ERROR,
            message="x",
        )
        session.add(stranger)
        session.commit()
        stranger_id = _id(stranger.id)
    decision = Decision(ReviewDecision.CON_INCONSISTENCIAS, REASON, (stranger_id,))
    refused = _refusal(engine, folio, reviewer, decision)
    assert refused.reason is DecisionReason.UNKNOWN_FINDING


def test_a_repeated_decision_returns_the_first_and_another_reviewer_is_told(
    engine, folio, reviewer, sent_tasks
):
    submission_id = submit_for_review(engine, folio)
    first = _decide(
        engine, folio, reviewer, Decision(ReviewDecision.APROBADA, "", (), submission_id)
    )
    again = _decide(
        engine, folio, reviewer, Decision(ReviewDecision.APROBADA, "", (), submission_id)
    )
    assert again.id == first.id
    other = _staff(engine, "Beatriz")
    refused = _refusal(engine, folio, other, Decision(ReviewDecision.CON_INCONSISTENCIAS, REASON))
    assert refused.reason is DecisionReason.ALREADY_DECIDED
    assert "Ana Núñez ya aprobó la ronda 1" in str(refused)
    with Session(engine) as session:
        assert len(session.exec(select(Review)).all()) == 1
        assert (
            len(session.exec(select(OutboxEmail).where(OutboxEmail.template == "aprobacion")).all())
            == 1
        )


def test_only_a_certification_in_review_is_decided(engine, folio, reviewer):
    refused = _refusal(engine, folio, reviewer, Decision(ReviewDecision.APROBADA))
    assert refused.reason is DecisionReason.NOT_IN_REVIEW
    assert "En espera de documentos" in str(refused)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_reviewers_deciding_at_once_one_wins(engine, folio, reviewer, sent_tasks):
    submit_for_review(engine, folio)
    other = _staff(engine, "Beatriz")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(who: StaffUser, decision: Decision) -> None:
        with Session(engine) as session:
            certification = _certification(session, folio)
            barrier.wait()
            try:
                decide(session, certification, who, decision)
                session.commit()
                outcomes.append("ganó")
            except DecisionRefused as exc:
                outcomes.append(exc.reason.value)

    threads = [
        threading.Thread(target=attempt, args=(reviewer, Decision(ReviewDecision.APROBADA))),
        threading.Thread(
            target=attempt, args=(other, Decision(ReviewDecision.CON_INCONSISTENCIAS, REASON))
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["already_decided", "ganó"]
    with Session(engine) as session:
        assert len(session.exec(select(Review)).all()) == 1
        events = session.exec(
            select(AuditEvent.action).where(
                col(AuditEvent.action).in_(["certification.approved", "certification.rejected"])
            )
        ).all()
    assert len(events) == 1


def _id(value: int | None) -> int:
    assert value is not None
    return value
