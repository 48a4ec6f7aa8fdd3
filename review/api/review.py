"""What reviewers see of a submission: its verdict, every finding and, per case, the expected
calculation path to explain to the vendor (DOMAIN §9). Staff only (dashboard session)."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path, status
from sqlmodel import col, select

from evidence.checks.explain import explain_round
from review import routing
from review.api.models.errors import INVALID, error_responses
from review.api.models.review import (
    CertificacionRevisada,
    ExplicacionCaso,
    Hallazgo,
    RevisionEvidencia,
)
from review.deps import DbSession, StaffApi
from review.inputs import DbId
from review.intake import WITHOUT_READING
from schema import Certification, EvidenceSubmission, Finding, Organization, TestSet

router = routing.router(tags=["revisión"])


@router.get(
    "/revision/evidencias/{submission_id}",
    summary="Veredicto, hallazgos y explicaciones",
    response_description="La evidencia, sus hallazgos y el cálculo esperado de cada caso",
    response_model=RevisionEvidencia,
    responses=error_responses(
        {
            401: "Sin sesión de personal (inicie sesión en /ingresar)",
            404: "No existe esa evidencia",
            422: INVALID,
        }
    ),
)
def submission_review(
    session: DbSession,
    _staff: StaffApi,
    submission_id: Annotated[DbId, Path(description="Identificador de la evidencia")],
) -> RevisionEvidencia:
    submission = session.get(EvidenceSubmission, submission_id, options=[WITHOUT_READING])
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No existe esa evidencia.")
    certification = session.get(Certification, submission.certification_id)
    test_set = session.get(TestSet, submission.test_set_id)
    assert certification is not None and test_set is not None
    vendor = session.get(Organization, certification.vendor_id)
    assert vendor is not None
    findings = session.exec(
        select(Finding).where(Finding.submission_id == submission_id).order_by(col(Finding.id))
    ).all()
    return RevisionEvidencia(
        id=submission_id,
        certificacion=CertificacionRevisada(
            folio=certification.folio,
            estado=certification.state.label,
            rfc=vendor.rfc,
            razonSocial=vendor.razon_social,
        ),
        ronda=submission.round,
        archivo=submission.original_name,
        sha256=submission.sha256,
        recibida=submission.uploaded_at.isoformat(),
        estado=submission.status,
        veredicto=submission.verdict,
        revisada=submission.checked_at.isoformat() if submission.checked_at else None,
        hallazgos=[
            Hallazgo(
                codigo=f.code,
                severidad=f.severity,
                origen=f.source,
                pestana=f.tab,
                caso=f.case,
                mensaje=f.message,
                esperado=f.expected,
                dado=f.actual,
            )
            for f in findings
        ],
        explicaciones=[
            ExplicacionCaso.model_validate(e.to_json())
            for e in explain_round(test_set.document, test_set.answers, test_set.avisos_responses)
        ],
    )
