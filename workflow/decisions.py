"""A reviewer's decision on the round under review (DOMAIN §3): approve, or reject with findings.

Shared by the dashboard's form and the staff API. The decision is final for its round: of two
reviewers deciding at once, the certification's row lock lets the first through and the second
is refused with who decided what; the same reviewer sending the same decision twice (a
double-click, a retried request) gets the first decision back instead of an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.enqueue import enqueue_after_commit
from mailer.outbox import queue_email
from schema import (
    Certification,
    CertificationState,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Organization,
    Review,
    ReviewDecision,
    Severity,
    StaffUser,
    SubmissionStatus,
)
from workflow.dispatch import DISPATCH_TASK
from workflow.refusals import DecisionReason, DecisionRefused
from workflow.state_machine import Event, transition

S = CertificationState
# The reviewer's own observation, sent to the vendor with the findings chosen from the checks.
OBSERVATION_CODE = "REV-OBSERVACION"
MIN_TEXT = 10  # characters of a reason or justification: a word or two is not one
MAX_TEXT = 5000
# Uploads that went through the checks and so reach a reviewer (one per round).
REVIEWABLE = frozenset({SubmissionStatus.ACEPTADA, SubmissionStatus.REVISADA})


@dataclass(frozen=True)
class Decision:
    decision: ReviewDecision
    # Rejecting: what the vendor is told. Approving despite errors: why (stays internal).
    reason: str = ""
    # Rejecting: automatic findings of the submission to pass on to the vendor.
    finding_ids: Sequence[int] = ()
    # The upload the reviewer looked at; by default the current round's. Naming it makes a
    # repeated request recognisable after the round has moved on.
    submission_id: int | None = None


def decide(
    session: Session, certification: Certification, reviewer: StaffUser, decision: Decision
) -> Review:
    """Record ``decision`` and move the certification, in the caller's transaction.

    Approving moves it to `Aprobada, pendiente de firma` and queues the approval email;
    rejecting moves it to `Con inconsistencias`, stores the findings the vendor will see and
    queues the next round's dispatch (new test set, 10 business days).
    """
    assert reviewer.id is not None
    session.refresh(certification, with_for_update=True)
    assert certification.id is not None
    submission = _submission_under_review(session, certification, decision.submission_id)
    earlier = _decision_of(session, submission)
    if earlier is not None:
        if earlier.reviewer_id == reviewer.id and earlier.decision is decision.decision:
            return earlier
        raise _already_decided(session, certification, earlier)
    if certification.state is not S.EN_ANALISIS or submission is None:
        raise DecisionRefused(
            DecisionReason.NOT_IN_REVIEW,
            f"La certificación {certification.folio} está en «{certification.state.label}»; "
            "solo se decide una certificación en análisis.",
        )
    if submission.round != certification.round:
        raise DecisionRefused(
            DecisionReason.CHANGED_MEANWHILE,
            f"La certificación {certification.folio} cambió mientras usted la revisaba. "
            "Vuelva a abrirla para ver su estado actual.",
        )
    reason = decision.reason.strip()
    automatic = _automatic_findings(session, submission)
    errors = sum(1 for f in automatic.values() if f.severity is Severity.ERROR)
    if decision.decision is ReviewDecision.APROBADA:
        if errors and len(reason) < MIN_TEXT:
            raise DecisionRefused(
                DecisionReason.JUSTIFICATION_REQUIRED,
                f"La revisión automática encontró {errors} error(es). Para aprobar de todos "
                f"modos escriba una justificación (al menos {MIN_TEXT} caracteres).",
            )
        chosen: list[Finding] = []
    else:
        if len(reason) < MIN_TEXT:
            raise DecisionRefused(
                DecisionReason.REASON_REQUIRED,
                f"Escriba al desarrollador el motivo del rechazo (al menos {MIN_TEXT} caracteres).",
            )
        unknown = [i for i in decision.finding_ids if i not in automatic]
        if unknown:
            raise DecisionRefused(
                DecisionReason.UNKNOWN_FINDING,
                "Algún hallazgo elegido no pertenece a esta evidencia; recargue la página.",
            )
        chosen = [automatic[i] for i in dict.fromkeys(decision.finding_ids)]
    if len(reason) > MAX_TEXT:
        raise DecisionRefused(
            DecisionReason.REASON_REQUIRED,
            f"El texto no puede pasar de {MAX_TEXT} caracteres.",
        )

    assert submission is not None and submission.id is not None
    review = Review(
        certification_id=certification.id,
        submission_id=submission.id,
        reviewer_id=reviewer.id,
        decision=decision.decision,
        reason=reason or None,
    )
    session.add(review)
    submission.status = SubmissionStatus.REVISADA
    session.add(submission)
    actor = f"staff:{reviewer.id}"
    if decision.decision is ReviewDecision.APROBADA:
        transition(
            session,
            certification,
            Event.APPROVED,
            actor=actor,
            reason=reason or None,
            data={"submission_id": submission.id, "errors_overridden": errors},
        )
        vendor = session.get(Organization, certification.vendor_id)
        assert vendor is not None
        queue_email(
            session,
            key=f"certification:{certification.id}:approved:{certification.round}",
            template="aprobacion",
            to=[vendor.email],
            context={"folio": certification.folio, "razon_social": vendor.razon_social},
        )
    else:
        for finding in [_observation(submission.id, reason), *map(_passed_on, chosen)]:
            session.add(finding)
        transition(
            session,
            certification,
            Event.REJECTED,
            actor=actor,
            reason=reason,
            data={"submission_id": submission.id, "findings": [f.code for f in chosen]},
        )
        enqueue_after_commit(session, DISPATCH_TASK, certification.id)
    # After the transition, whose locking re-read would discard an earlier change.
    if certification.reviewer_id is None:
        certification.reviewer_id = reviewer.id
        session.add(certification)
    session.flush()
    return review


def _submission_under_review(
    session: Session, certification: Certification, submission_id: int | None
) -> EvidenceSubmission | None:
    """The upload decided on: the one named, or the round's accepted (or already decided)
    one — a single upload per round reaches review."""
    query = select(EvidenceSubmission).where(
        EvidenceSubmission.certification_id == certification.id,
        col(EvidenceSubmission.status).in_(REVIEWABLE),
    )
    if submission_id is not None:
        query = query.where(EvidenceSubmission.id == submission_id)
    else:
        query = query.where(EvidenceSubmission.round == certification.round)
    return session.exec(query.order_by(col(EvidenceSubmission.id).desc())).first()


def _decision_of(session: Session, submission: EvidenceSubmission | None) -> Review | None:
    if submission is None:
        return None
    return session.exec(select(Review).where(Review.submission_id == submission.id)).first()


def _already_decided(
    session: Session, certification: Certification, earlier: Review
) -> DecisionRefused:
    who = session.get(StaffUser, earlier.reviewer_id)
    name = who.full_name if who is not None else "otra persona"
    outcome = "aprobó" if earlier.decision is ReviewDecision.APROBADA else "rechazó"
    return DecisionRefused(
        DecisionReason.ALREADY_DECIDED,
        f"{name} ya {outcome} la ronda {certification.round} de la certificación "
        f"{certification.folio}; su decisión no se registró.",
    )


def _automatic_findings(
    session: Session, submission: EvidenceSubmission | None
) -> dict[int, Finding]:
    if submission is None:
        return {}
    rows = session.exec(
        select(Finding).where(
            Finding.submission_id == submission.id, Finding.source == FindingSource.AUTOMATICO
        )
    ).all()
    return {f.id: f for f in rows if f.id is not None}


def _observation(submission_id: int, reason: str) -> Finding:
    return Finding(
        submission_id=submission_id,
        source=FindingSource.REVISOR,
        code=OBSERVATION_CODE,
        severity=Severity.ERROR,
        message=reason,
    )


def _passed_on(finding: Finding) -> Finding:
    """The vendor's copy of an automatic finding: its code, place and message, never the
    expected amount (that would give away the evaluation's answers, DOMAIN §9)."""
    assert finding.id is not None
    return Finding(
        submission_id=finding.submission_id,
        source=FindingSource.REVISOR,
        code=finding.code,
        severity=finding.severity,
        tab=finding.tab,
        case=finding.case,
        message=vendor_message(finding),
    )


def vendor_message(finding: Finding) -> str:
    """The automatic finding's message without its expected value: an amount check says
    «esperado X, anotado Y», and X is the evaluation's answer; what the vendor wrote stays."""
    if not finding.expected:
        return finding.message
    message = finding.message.replace(f" esperado {finding.expected},", "")
    return message.replace(finding.expected, "(valor omitido)")
