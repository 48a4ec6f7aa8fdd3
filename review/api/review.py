"""What reviewers see of a submission: its verdict, every finding and, per case, the expected
calculation path to explain to the vendor (DOMAIN §9). Staff only (dashboard session)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from sqlmodel import col, select

from evidence.checks.explain import explain_round
from review.deps import DbSession, StaffApi
from schema import Certification, EvidenceSubmission, Finding, Organization, TestSet

router = APIRouter(tags=["revisión"])


@router.get("/revision/evidencias/{submission_id}", summary="Veredicto, hallazgos y explicaciones")
def submission_review(session: DbSession, _staff: StaffApi, submission_id: int) -> dict[str, Any]:
    submission = session.get(EvidenceSubmission, submission_id)
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
    return {
        "id": submission.id,
        "certificacion": {
            "folio": certification.folio,
            "estado": certification.state.label,
            "rfc": vendor.rfc,
            "razonSocial": vendor.razon_social,
        },
        "ronda": submission.round,
        "archivo": submission.original_name,
        "sha256": submission.sha256,
        "recibida": submission.uploaded_at.isoformat(),
        "estado": submission.status.value,
        "veredicto": submission.verdict.value if submission.verdict else None,
        "revisada": submission.checked_at.isoformat() if submission.checked_at else None,
        "hallazgos": [
            {
                "codigo": f.code,
                "severidad": f.severity.value,
                "origen": f.source.value,
                "pestana": f.tab,
                "caso": f.case,
                "mensaje": f.message,
                "esperado": f.expected,
                "dado": f.actual,
            }
            for f in findings
        ],
        "explicaciones": [
            e.to_json()
            for e in explain_round(test_set.document, test_set.answers, test_set.avisos_responses)
        ],
    }
