"""The reviewer's decision form: approve, or reject with findings (posted from the
certification page, which shows the outcome or re-renders the form with the refusal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response

from review import routing
from review.deps import CurrentStaff, DbSession
from review.inputs import DbId, Paragraph, Text
from review.pages import certification as certification_pages
from review.refusals import http_status
from schema import ReviewDecision
from workflow.certifications import certification_by_folio
from workflow.decisions import MAX_TEXT, Decision, decide
from workflow.refusals import DecisionRefused

router = routing.router(include_in_schema=False)


@router.post("/panel/certificaciones/{folio}/decision")
def record_decision(
    request: Request,
    staff: CurrentStaff,
    session: DbSession,
    folio: Annotated[Text, Path(max_length=20)],
    decision: Annotated[ReviewDecision, Form()],
    reason: Annotated[Paragraph, Form(max_length=MAX_TEXT)] = "",
    finding: Annotated[list[DbId], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    submission_id: Annotated[DbId | None, Form()] = None,
) -> Response:
    certification = certification_by_folio(session, folio)
    if certification is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"No existe la certificación {folio}."
        )
    chosen = Decision(decision, reason, tuple(finding), submission_id)
    try:
        decide(session, certification, staff, chosen)
    except DecisionRefused as exc:
        session.rollback()
        form = {"decision": decision.value, "reason": reason, "finding": finding}
        return certification_pages.certification_page(
            request, session, staff, folio, error=str(exc), form=form, status_code=http_status(exc)
        )
    session.commit()
    return RedirectResponse(
        f"/panel/certificaciones/{certification.folio}", status_code=status.HTTP_303_SEE_OTHER
    )
