"""The supervisor's view: SLA breaches, workload per reviewer, reassignment."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from core.clock import utcnow
from review import routing
from review.deps import DbSession, Supervisor
from review.inputs import DbId, Text
from review.refusals import http_status
from review.templating import render
from schema import StaffUser
from workflow.assignment import reassign, supervision_board
from workflow.certifications import certification_by_folio
from workflow.refusals import AssignmentRefused

router = routing.router(include_in_schema=False)
PAGE = "/panel/supervision"
FOLIO_LENGTH = 10


def _page(
    request: Request,
    staff: StaffUser,
    session: Session,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return render(
        request,
        "supervision.html",
        {
            "staff": staff,
            "seccion": "supervision",
            "board": supervision_board(session, utcnow()),
            "notice": notice,
            "error": error,
        },
        status_code,
    )


def _reassigned_notice(session: Session, folio: str | None) -> str | None:
    """The success line after a reassignment, read back from the certification as it is now."""
    certification = certification_by_folio(session, folio) if folio else None
    if certification is None or certification.reviewer_id is None:
        return None
    reviewer = session.get(StaffUser, certification.reviewer_id)
    assert reviewer is not None
    return f"La certificación {certification.folio} quedó asignada a {reviewer.full_name}."


@router.get(PAGE, response_class=HTMLResponse)
def supervision(
    request: Request,
    staff: Supervisor,
    session: DbSession,
    reasignada: Annotated[Text | None, Query(max_length=FOLIO_LENGTH)] = None,
) -> HTMLResponse:
    return _page(request, staff, session, notice=_reassigned_notice(session, reasignada))


@router.post(PAGE + "/asignaciones")
def reassign_review(
    request: Request,
    staff: Supervisor,
    session: DbSession,
    folio: Annotated[Text, Form(max_length=FOLIO_LENGTH)],
    revisor: Annotated[DbId, Form()],
) -> Response:
    try:
        done = reassign(session, folio, revisor, actor=f"staff:{staff.id}")
    except AssignmentRefused as refused:
        session.rollback()
        return _page(request, staff, session, error=str(refused), status_code=http_status(refused))
    session.commit()
    return RedirectResponse(
        f"{PAGE}?reasignada={done.certification.folio}", status_code=status.HTTP_303_SEE_OTHER
    )
