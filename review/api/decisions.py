"""The reviewer's decision for INFONAVIT's own systems (bearer token or the dashboard's
session, whose requests must carry the CSRF header)."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path, status

from review import routing
from review.api.models.decisions import DecisionRegistrada, DecisionSolicitada
from review.api.models.errors import INVALID, error_responses
from review.deps import DbSession, StaffApi
from review.inputs import Text
from review.refusals import http_status
from schema import EvidenceSubmission, StaffUser
from workflow.certifications import certification_by_folio
from workflow.decisions import Decision, decide
from workflow.refusals import DecisionRefused

router = routing.router(tags=["revisión"])


@router.post(
    "/revision/certificaciones/{folio}/decision",
    summary="Aprobar o rechazar la ronda en análisis",
    response_description="La decisión registrada (o la misma, si ya la había registrado usted)",
    response_model=DecisionRegistrada,
    responses=error_responses(
        {
            401: "Sin sesión ni token de personal",
            403: "Sesión sin token CSRF válido, de otro sitio, o rol sin acceso",
            404: "No existe esa certificación",
            409: "Ya decidida por otra persona, o no está en análisis",
            422: INVALID,
        }
    ),
)
def record_decision(
    session: DbSession,
    staff: StaffApi,
    folio: Annotated[Text, Path(max_length=20, description="Folio de la certificación")],
    body: DecisionSolicitada,
) -> DecisionRegistrada:
    certification = certification_by_folio(session, folio)
    if certification is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"No existe la certificación {folio}."
        )
    decision = Decision(body.decision, body.motivo, tuple(body.hallazgos), body.evidencia)
    try:
        review = decide(session, certification, staff, decision)
    except DecisionRefused as exc:
        session.rollback()
        raise HTTPException(http_status(exc), detail=str(exc)) from None
    session.commit()
    submission = session.get(EvidenceSubmission, review.submission_id)
    reviewer = session.get(StaffUser, review.reviewer_id)
    assert submission is not None and reviewer is not None
    session.refresh(certification)
    return DecisionRegistrada(
        folio=certification.folio,
        ronda=submission.round,
        evidencia=review.submission_id,
        decision=review.decision,
        revisor=reviewer.full_name,
        decidida=review.decided_at.isoformat(),
        estado=certification.state.label,
    )
