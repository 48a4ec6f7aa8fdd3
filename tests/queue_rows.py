"""Rows planted straight in the database for the review queue's tests: certifications in any
state, with the clocks, uploads and findings the queue reads, and the moments the test chooses.
(The real flow makes one certification at a time; the queue's tests need dozens, in every
state, at exact moments.)"""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlmodel import Session, select

from schema import (
    Certification,
    CertificationState,
    Clock,
    ClockKind,
    ClockState,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Organization,
    OrganizationKind,
    Severity,
    SubmissionStatus,
    TestSet,
    Verdict,
)

_numbers = itertools.count(1)


def vendor(session: Session, rfc: str, razon_social: str) -> Organization:
    org = Organization(
        kind=OrganizationKind.DESARROLLADOR,
        rfc=rfc,
        razon_social=razon_social,
        email=f"{rfc.lower()}@nandu.example",
    )
    session.add(org)
    session.flush()
    return org


def certification(
    session: Session,
    of: Organization,
    state: CertificationState,
    requested_at: datetime,
    *,
    round: int = 1,
    state_changed_at: datetime | None = None,
    reviewer_id: int | None = None,
) -> Certification:
    assert of.id is not None
    cert = Certification(
        folio=f"{9_000_000_000 + next(_numbers)}",
        vendor_id=of.id,
        state=state,
        round=round,
        requested_at=requested_at,
        state_changed_at=state_changed_at or requested_at,
        reviewer_id=reviewer_id,
    )
    session.add(cert)
    session.flush()
    return cert


def clock(
    session: Session,
    cert: Certification,
    kind: ClockKind,
    due_at: datetime,
    state: ClockState = ClockState.CORRIENDO,
) -> Clock:
    assert cert.id is not None
    row = Clock(
        certification_id=cert.id,
        round=cert.round,
        kind=kind,
        state=state,
        started_at=cert.state_changed_at,
        term_days=5 if kind is ClockKind.REVISION else 45,
        due_at=due_at,
    )
    session.add(row)
    session.flush()
    return row


def submission(
    session: Session,
    cert: Certification,
    verdict: Verdict | None,
    *,
    round: int | None = None,
    errors: int = 0,
    warnings: int = 0,
    examined: bool = True,
) -> EvidenceSubmission:
    """An upload of ``round`` (the current one by default) with its automatic findings."""
    assert cert.id is not None
    round = round or cert.round
    test_set = session.exec(
        select(TestSet).where(TestSet.certification_id == cert.id, TestSet.round == round)
    ).first()
    if test_set is None:
        test_set = TestSet(
            certification_id=cert.id,
            round=round,
            folio=f"{8_000_000_000 + next(_numbers)}",
            seed="semilla",
            emitted_at=cert.requested_at,
            patron_rfc="EMP850101AB1",
            patron_nrp=f"Y{next(_numbers):010d}",
            sandbox_password_hash="-",
            document={},
            answers={},
            avisos_responses=[],
        )
        session.add(test_set)
        session.flush()
    assert test_set.id is not None
    number = next(_numbers)
    if not examined:
        status = SubmissionStatus.RECIBIDA
    elif verdict is Verdict.ILEGIBLE:
        status = SubmissionStatus.ILEGIBLE
    else:
        status = SubmissionStatus.ACEPTADA
    upload = EvidenceSubmission(
        certification_id=cert.id,
        test_set_id=test_set.id,
        round=round,
        uploaded_by=f"vendor:{cert.vendor_id}",
        uploaded_at=cert.state_changed_at,
        size_bytes=1000,
        sha256=f"{number:064x}",
        original_name="evidencias.xlsx",
        status=status,
        verdict=verdict if examined else None,
        checked_at=cert.state_changed_at if examined else None,
    )
    session.add(upload)
    session.flush()
    assert upload.id is not None
    for severity, how_many in ((Severity.ERROR, errors), (Severity.WARNING, warnings)):
        for _ in range(how_many):
            session.add(
                Finding(
                    submission_id=upload.id,
                    source=FindingSource.AUTOMATICO,
                    code="T2-TOTAL-MISMATCH",
                    severity=severity,
                    message="El total no coincide.",
                )
            )
    session.flush()
    return upload
