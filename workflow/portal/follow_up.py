"""What «Seguimiento a Certificación» shows a vendor: its latest certification, the evidence term
and the business days left, the acuses, each round's test set, the files it sent and, for a
rejected round, the findings as the reviewer sent them (automatic amount findings stay internal,
DOMAIN §9). Everything is read through the vendor's own certification: nothing a client names
reaches another vendor's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from core.clock import utcnow
from schema import (
    Certification,
    CertificationState,
    ClockKind,
    Document,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Organization,
    TestSet,
)
from workflow.calendar import load_calendar
from workflow.clocks import business_days_left, running_clock
from workflow.portal.certification import (
    CANCELLABLE,
    certification_documents,
    latest_certification,
)

S = CertificationState


@dataclass(frozen=True)
class ShownFinding:
    code: str
    message: str


@dataclass(frozen=True)
class RoundShown:
    number: int
    test_set: TestSet | None
    submissions: tuple[EvidenceSubmission, ...]  # newest first
    findings: tuple[ShownFinding, ...]  # the reviewer's, once the round was rejected


@dataclass(frozen=True)
class FollowUp:
    certification: Certification
    deadline: datetime | None  # the evidence term, while it runs
    days_left: int | None  # business days after today
    documents: tuple[Document, ...]
    rounds: tuple[RoundShown, ...]  # newest first

    @property
    def receiving(self) -> bool:
        """Only while `En espera de documentos` may a workbook be sent."""
        return self.certification.state is S.EN_ESPERA_DE_DOCUMENTOS

    @property
    def awaiting_signature(self) -> bool:
        return self.certification.state is S.APROBADA_PENDIENTE_DE_FIRMA

    @property
    def cancellable(self) -> bool:
        return self.certification.state in CANCELLABLE


def follow_up(session: Session, vendor: Organization) -> FollowUp | None:
    """The vendor's latest certification as the follow-up page shows it; None if it has none."""
    certification = latest_certification(session, vendor)
    if certification is None:
        return None
    assert certification.id is not None
    term = running_clock(session, certification, ClockKind.EVIDENCIA)
    days_left = (
        business_days_left(term, utcnow(), load_calendar(session)) if term is not None else None
    )
    test_sets = {
        test_set.round: test_set
        for test_set in session.exec(
            select(TestSet).where(TestSet.certification_id == certification.id)
        )
    }
    submissions: dict[int, list[EvidenceSubmission]] = {}
    for submission in session.exec(
        select(EvidenceSubmission)
        .where(EvidenceSubmission.certification_id == certification.id)
        .order_by(col(EvidenceSubmission.uploaded_at).desc(), col(EvidenceSubmission.id).desc())
    ):
        submissions.setdefault(submission.round, []).append(submission)
    findings: dict[int, list[ShownFinding]] = {}
    for round_, finding in session.exec(
        select(EvidenceSubmission.round, Finding)
        .join(EvidenceSubmission, col(EvidenceSubmission.id) == Finding.submission_id)
        .where(
            EvidenceSubmission.certification_id == certification.id,
            Finding.source == FindingSource.REVISOR,
        )
        .order_by(col(Finding.id))
    ):
        findings.setdefault(round_, []).append(ShownFinding(finding.code, finding.message))
    rounds = tuple(
        RoundShown(
            number=number,
            test_set=test_sets.get(number),
            submissions=tuple(submissions.get(number, ())),
            findings=tuple(findings.get(number, ())),
        )
        for number in range(certification.round, 0, -1)
    )
    return FollowUp(
        certification=certification,
        deadline=term.due_at if term is not None else None,
        days_left=days_left,
        documents=tuple(certification_documents(session, vendor, certification)),
        rounds=rounds,
    )


def vendor_test_set(session: Session, vendor: Organization, folio: str) -> TestSet | None:
    """One of the vendor's test sets by its folio; None for another vendor's (as for none)."""
    return session.exec(
        select(TestSet)
        .join(Certification, col(Certification.id) == TestSet.certification_id)
        .where(TestSet.folio == folio.strip(), Certification.vendor_id == vendor.id)
    ).first()


def vendor_submission(
    session: Session, vendor: Organization, submission_id: int
) -> EvidenceSubmission | None:
    """One of the vendor's evidence submissions; None for another vendor's (as for none)."""
    return session.exec(
        select(EvidenceSubmission)
        .join(Certification, col(Certification.id) == EvidenceSubmission.certification_id)
        .where(EvidenceSubmission.id == submission_id, Certification.vendor_id == vendor.id)
    ).first()
