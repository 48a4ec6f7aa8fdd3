"""«Seguimiento a Certificación», the tab's second step: the e.firma once per session, then the
certification's folio, status and date, the evidence term, the signed documents, each round's
test set and the reviewer's findings, the files sent; and, only while `En espera de documentos`,
the upload of the evidence workbook («Archivo [.xls]*», «Enviar archivo») and its live status.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any

from fastapi import Form, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.clock import utcnow
from evidence.limits import WORKBOOK_MAX_BYTES
from review import routing
from review.deps import (
    COMPANY_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    CSRF_REFUSED,
    KIND_REFUSED,
    ORIGIN_REFUSED,
    PORTAL_SIGN_IN,
    CurrentVendor,
    DbSession,
    SignInRequired,
    client_address,
    release,
    same_origin,
)
from review.inputs import DbId, Text
from review.intake import store_upload, submission_status
from review.pages.portal.certification import (
    FOLLOW_UP,
    FOLLOW_UP_EFIRMA,
    FOLLOW_UP_FORM,
    FOLLOW_UP_STEP,
    NOTICES,
    SUBMISSION_LABELS,
    TEST_SETS,
    UPLOAD,
    efirma_missing,
    follow_up_page,
    page,
    submission_path,
)
from review.pages.portal.shared import FileField, IncompleteEFirma, efirma_input
from review.uploads import UploadedFile, read_upload
from rules.testsets.generate import TEMPLATE_FILE, TEST_SET_FILE
from rules.workbook_template import build_template
from schema import Certification, ClockKind, OrganizationKind, SubmissionStatus
from workflow.browser_sessions import csrf_matches
from workflow.calendar import load_calendar
from workflow.clocks import business_days_left, running_clock
from workflow.dispatch import XLSX
from workflow.portal.accounts import SignedInCompany, resume_company_session
from workflow.portal.certification import (
    open_certification_of,
    show_efirma,
)
from workflow.portal.follow_up import vendor_submission, vendor_test_set
from workflow.refusals import EFirmaRefused
from workflow.throttle import Throttled

router = routing.router(include_in_schema=False)

NO_CERTIFICATION = (
    "Su empresa no tiene una solicitud de certificación en curso que reciba evidencias."
)
NO_SUCH_SET = "No se encontró el set de pruebas con folio «{folio}» entre los de su empresa."
NO_SUCH_SUBMISSION = "No se encontró ese archivo de evidencias entre los de su empresa."
# The files downloaded from the tab stay out of shared caches, as the signed documents do.
PRIVATE = {"Cache-Control": "private, no-store"}

SetFolio = Annotated[Text, Path(max_length=20, description="Folio del set de pruebas")]


@router.get(FOLLOW_UP, response_class=HTMLResponse)
def follow_up_tab(
    request: Request,
    company: CurrentVendor,
    session: DbSession,
    aviso: Annotated[Text | None, Query(max_length=20)] = None,
) -> Response:
    return follow_up_page(request, session, company, notice=NOTICES.get(aviso or ""))


@router.post(FOLLOW_UP_EFIRMA, response_class=HTMLResponse)
def validate_efirma(
    request: Request,
    company: CurrentVendor,
    session: DbSession,
    password: Annotated[Text, Form(max_length=1024)] = "",
    cer: FileField = None,
    key: FileField = None,
) -> Response:
    try:
        efirma = efirma_input(cer, key, password)
    except IncompleteEFirma as exc:
        return FOLLOW_UP_FORM.show(
            request, company, error=str(exc), code=status.HTTP_400_BAD_REQUEST
        )
    try:
        show_efirma(
            session,
            company.account,
            company.organization,
            company.row,
            cer=efirma.cer,
            key=efirma.key,
            efirma_password=efirma.password,
            address=client_address(request),
        )
    except (Throttled, EFirmaRefused) as exc:
        session.rollback()
        return FOLLOW_UP_FORM.refused(request, company, exc)
    session.commit()
    return RedirectResponse(FOLLOW_UP, status_code=status.HTTP_303_SEE_OTHER)


# --- The round's test set, as its email attached it ------------------------------------------


def _own_set(session: Session, company: SignedInCompany, folio: str) -> dict[str, Any]:
    test_set = vendor_test_set(session, company.organization, folio)
    if test_set is None:
        # Another vendor's set is answered exactly like one that does not exist.
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_SET.format(folio=folio))
    return test_set.document


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **PRIVATE},
    )


@router.get(TEST_SETS + "/{set_folio}/" + TEST_SET_FILE)
def test_set_json(company: CurrentVendor, session: DbSession, set_folio: SetFolio) -> Response:
    document = _own_set(session, company, set_folio)
    # The same bytes as workflow.dispatch attaches to the email.
    content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    return _attachment(content, "application/json", TEST_SET_FILE)


@router.get(TEST_SETS + "/{set_folio}/" + TEMPLATE_FILE)
def test_set_template(company: CurrentVendor, session: DbSession, set_folio: SetFolio) -> Response:
    document = _own_set(session, company, set_folio)
    return _attachment(build_template(document), XLSX, TEMPLATE_FILE)


# --- The evidence workbook --------------------------------------------------------------------


def _signed_in_vendor(request: Request, session: Session) -> SignedInCompany:
    """CurrentVendor's checks but the CSRF token's: its dependency would parse the multipart
    body with Starlette's parser, which spools the whole file before anyone looks at its size.
    The token is checked here from the header (htmx) or, once the body was streamed under its
    limit, from the form's field, before anything is stored."""
    company = resume_company_session(session, request.cookies.get(COMPANY_COOKIE, ""))
    if company is None:
        raise SignInRequired(PORTAL_SIGN_IN)
    release(session)
    if not same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=ORIGIN_REFUSED)
    sent = request.headers.get(CSRF_HEADER)
    if sent is not None and not csrf_matches(company.row, sent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REFUSED)
    if company.organization.kind is not OrganizationKind.DESARROLLADOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=KIND_REFUSED)
    # What render() reads the page's CSRF token from, as the dependency leaves it.
    request.state.browser_session = company.row
    return company


def _receive(
    request: Request, session: Session, company: SignedInCompany, uploaded: UploadedFile
) -> Response:
    if request.headers.get(CSRF_HEADER) is None and not csrf_matches(
        company.row, uploaded.fields.get(CSRF_FIELD)
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REFUSED)
    missing = efirma_missing(request, company)
    if missing is not None:
        return missing
    current = open_certification_of(session, company.organization)
    if current is None:
        return follow_up_page(
            request, session, company, error=NO_CERTIFICATION, code=status.HTTP_409_CONFLICT
        )
    try:
        body, _ = store_upload(session, company.organization, current.folio, uploaded)
    except HTTPException as exc:
        # An upload refused (under review, past the deadline…): nothing was stored.
        return follow_up_page(
            request, session, company, error=str(exc.detail), code=exc.status_code
        )
    return RedirectResponse(submission_path(body.id), status_code=status.HTTP_303_SEE_OTHER)


@router.post(UPLOAD)
async def upload(request: Request, session: DbSession) -> Response:
    company = await run_in_threadpool(_signed_in_vendor, request, session)
    try:
        uploaded = await read_upload(request, field="archivo", limit=WORKBOOK_MAX_BYTES)
    except HTTPException as exc:
        # Not stored, so the token can wait: the page shows why, with the form again.
        refused = functools.partial(
            follow_up_page, request, session, company, error=str(exc.detail), code=exc.status_code
        )
        return await run_in_threadpool(refused)
    return await run_in_threadpool(_receive, request, session, company, uploaded)


@router.get(UPLOAD + "/{submission_id}", response_class=HTMLResponse)
def submission_page(
    request: Request,
    company: CurrentVendor,
    session: DbSession,
    submission_id: Annotated[DbId, Path(description="Identificador del archivo de evidencias")],
) -> HTMLResponse:
    """The file's live status: while it is read the page asks again by itself (htmx); then
    refused with the reasons, or accepted and the certification `En análisis`."""
    submission = vendor_submission(session, company.organization, submission_id)
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_SUBMISSION)
    certification = session.get(Certification, submission.certification_id)
    assert certification is not None
    # The evidence term of the round, while it still runs (after a refused file, say).
    term = running_clock(session, certification, ClockKind.EVIDENCIA)
    days_left = (
        business_days_left(term, utcnow(), load_calendar(session)) if term is not None else None
    )
    context = {
        "status": submission_status(session, submission),
        "submission": submission,
        "label": SUBMISSION_LABELS.get(submission.status, submission.status.value),
        "pending": submission.status is SubmissionStatus.RECIBIDA,
        "refused": submission.status is SubmissionStatus.ILEGIBLE,
        "certification": certification,
        "term": term,
        "days_left": days_left,
        "href": submission_path(submission.id),
        "follow_up": FOLLOW_UP,
    }
    return page(
        request,
        company,
        "portal/certificacion_evidencia.html",
        context,
        step=FOLLOW_UP_STEP,
    )
