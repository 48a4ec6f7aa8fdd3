"""The vendor's evidence upload page (until the vendor portal: RFC + SIA password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from core.clock import utcnow
from evidence.limits import WORKBOOK_MAX_BYTES
from review import routing
from review.api.models.evidence import EvidenciaRecibida
from review.deps import DbSession, client_address
from review.errors import validation_detail
from review.inputs import DbId, refuse_control_characters
from review.intake import store_upload, submission_status
from review.templating import templates
from review.uploads import UploadedFile, read_upload
from schema import Certification, ClockKind, EvidenceSubmission, SubmissionStatus
from workflow.calendar import load_calendar
from workflow.clocks import business_days_left, running_clock
from workflow.throttle import Door, Throttled, throttled
from workflow.vendors import authenticate_vendor, vendor_attempt

router = routing.router(include_in_schema=False)
VENDOR_SESSION_KEY = "vendor_id"
UPLOAD_PATH = "/portal/evidencias"
TEXT_FIELDS = ("rfc", "password", "folio")


def _form(request: Request, error: str | None, values: dict[str, str], code: int) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "portal_evidencias.html", {"error": error, "values": values}, status_code=code
    )


@router.get("/portal/evidencias", response_class=HTMLResponse)
def upload_form(request: Request) -> HTMLResponse:
    return _form(request, None, {}, status.HTTP_200_OK)


def _receive(
    session: Session, uploaded: UploadedFile, address: str
) -> tuple[int | None, EvidenciaRecibida | None, str | None, int]:
    fields = uploaded.fields
    rfc, password = fields.get("rfc", ""), fields.get("password", "")
    try:
        vendor = throttled(
            session,
            vendor_attempt(Door.PORTAL, rfc, address),
            lambda: authenticate_vendor(session, rfc, password),
        )
    except Throttled as exc:
        return None, None, str(exc), status.HTTP_429_TOO_MANY_REQUESTS
    if vendor is None:
        return None, None, "RFC o contraseña SIA incorrectos.", status.HTTP_401_UNAUTHORIZED
    try:
        body, _ = store_upload(session, vendor, fields.get("folio", "").strip(), uploaded)
    except HTTPException as exc:
        return vendor.id, None, str(exc.detail), exc.status_code
    return vendor.id, body, None, status.HTTP_303_SEE_OTHER


@router.post(UPLOAD_PATH)
async def upload(request: Request, session: DbSession) -> Response:
    try:
        uploaded = await read_upload(request, field="archivo", limit=WORKBOOK_MAX_BYTES)
    except HTTPException as exc:
        return _form(request, str(exc.detail), {}, exc.status_code)
    try:
        # The form is parsed by hand, so its text is checked here, as pydantic would.
        refuse_control_characters(
            {name: uploaded.fields.get(name, "") for name in TEXT_FIELDS}, "body"
        )
    except RequestValidationError as exc:
        detail = validation_detail(exc.errors())
        return _form(request, detail, {}, status.HTTP_422_UNPROCESSABLE_CONTENT)
    vendor_id, body, error, code = await run_in_threadpool(
        _receive, session, uploaded, client_address(request)
    )
    values = {"rfc": uploaded.fields.get("rfc", ""), "folio": uploaded.fields.get("folio", "")}
    if body is None:
        return _form(request, error, values, code)
    request.session[VENDOR_SESSION_KEY] = vendor_id
    return RedirectResponse(f"/portal/evidencias/{body.id}", status_code=code)


@router.get("/portal/evidencias/{submission_id}", response_class=HTMLResponse)
def upload_status(
    request: Request,
    session: DbSession,
    submission_id: Annotated[DbId, Path(description="Identificador de la evidencia")],
) -> Response:
    vendor_id = request.session.get(VENDOR_SESSION_KEY)
    submission = session.exec(
        select(EvidenceSubmission)
        .join(Certification, col(Certification.id) == EvidenceSubmission.certification_id)
        .where(EvidenceSubmission.id == submission_id, Certification.vendor_id == vendor_id)
    ).first()
    if submission is None:
        return RedirectResponse("/portal/evidencias", status_code=status.HTTP_303_SEE_OTHER)
    certification = session.get(Certification, submission.certification_id)
    assert certification is not None
    # The evidence term of the round, while it still runs (after a refused file, say).
    term = running_clock(session, certification, ClockKind.EVIDENCIA)
    return templates.TemplateResponse(
        request,
        "portal_evidencia.html",
        {
            "status": submission_status(session, submission),
            "pending": submission.status is SubmissionStatus.RECIBIDA,
            "term": term,
            "days_left": term and business_days_left(term, utcnow(), load_calendar(session)),
        },
    )
