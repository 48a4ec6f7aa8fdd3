"""The certification page: everything a reviewer needs to decide one round, the decision form
included, and the stored files it links to (the original workbook, the screenshots of tab 3)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from core.clock import utcnow
from review import routing
from review.deps import CurrentStaff, DbSession
from review.inputs import DbId
from review.templating import render
from schema import Severity, StaffUser
from workflow.certification_view import (
    DECISIONS,
    CertificationView,
    StoredFile,
    certification_view,
    screenshot_file,
    workbook_file,
)
from workflow.decisions import MAX_TEXT

router = routing.router(include_in_schema=False)

FOLIO_PATTERN = r"^\d{10}$"
Folio = Annotated[str, Path(pattern=FOLIO_PATTERN, description="Folio de 10 dígitos")]
SubmissionId = Annotated[DbId, Path(description="Identificador de la evidencia")]
# Any number: one the submission does not have is answered 404 by the lookup.
ScreenshotNumber = Annotated[int, Path(description="Número de la captura, desde 1")]
NO_FILE = "No existe esa evidencia o su archivo ya no está disponible."
NO_SCREENSHOT = "Esa evidencia no tiene esa captura de pantalla."


@dataclass(frozen=True)
class DecisionForm:
    """What the decision form shows filled in: the reviewer's last attempt, or the defaults
    (no decision chosen, every automatic error passed on to the vendor)."""

    decision: str | None
    reason: str
    chosen: frozenset[int]


def _decision_form(view: CertificationView, sent: Mapping[str, object] | None) -> DecisionForm:
    if sent is None:
        automatic = view.current.automatic if view.current else ()
        errors = frozenset(f.id for f in automatic if f.severity is Severity.ERROR and f.id)
        return DecisionForm(None, "", errors)
    chosen = sent.get("finding")
    return DecisionForm(
        str(sent["decision"]) if sent.get("decision") else None,
        str(sent.get("reason") or ""),
        frozenset(i for i in chosen if isinstance(i, int))
        if isinstance(chosen, list | tuple | set | frozenset)
        else frozenset(),
    )


def certification_page(
    request: Request,
    session: Session,
    staff: StaffUser,
    folio: str,
    *,
    error: str | None = None,
    form: Mapping[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page of ``folio``; the decision handler passes its refusal as ``error`` and what was
    sent as ``form`` (``decision``, ``reason``, ``finding``: the chosen finding ids)."""
    now = utcnow()
    view = certification_view(session, folio, now)
    if view is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"No existe la certificación {folio}."
        )
    context = {
        "staff": staff,
        "seccion": "cola",
        "v": view,
        "now": now,
        "error": error,
        "form": _decision_form(view, form),
        "decisions": DECISIONS,
        "max_reason": MAX_TEXT,
    }
    return render(request, "certificacion.html", context, status_code)


@router.get("/panel/certificaciones/{folio}", response_class=HTMLResponse)
def certification(
    request: Request, staff: CurrentStaff, session: DbSession, folio: Folio
) -> HTMLResponse:
    return certification_page(request, session, staff, folio)


def _attachment(name: str) -> str:
    """Content-Disposition of a download named ``name`` (RFC 6266): an ASCII fallback for old
    clients and the exact name percent-encoded, so no character of it can break the header."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", ascii_name).strip() or "evidencia"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _served(stored: StoredFile | None, missing: str, *, download: bool) -> Response:
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=missing)
    headers = {"Content-Disposition": _attachment(stored.name)} if download else None
    return Response(stored.data, media_type=stored.media_type, headers=headers)


@router.get("/panel/evidencias/{submission_id}/libro")
def workbook(_staff: CurrentStaff, session: DbSession, submission_id: SubmissionId) -> Response:
    return _served(workbook_file(session, submission_id), NO_FILE, download=True)


@router.get("/panel/evidencias/{submission_id}/capturas/{number}")
def screenshot(
    _staff: CurrentStaff,
    session: DbSession,
    submission_id: SubmissionId,
    number: ScreenshotNumber,
) -> Response:
    found = screenshot_file(session, submission_id, number, thumbnail=False)
    return _served(found, NO_SCREENSHOT, download=False)


@router.get("/panel/evidencias/{submission_id}/capturas/{number}/miniatura")
def screenshot_thumbnail(
    _staff: CurrentStaff,
    session: DbSession,
    submission_id: SubmissionId,
    number: ScreenshotNumber,
) -> Response:
    found = screenshot_file(session, submission_id, number, thumbnail=True)
    return _served(found, NO_SCREENSHOT, download=False)
