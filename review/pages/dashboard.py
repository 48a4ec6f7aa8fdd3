"""The reviewer dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from review.deps import CurrentStaff, DbSession
from review.templating import templates
from schema import Certification, Organization

router = APIRouter(include_in_schema=False)


@router.get("/panel", response_class=HTMLResponse)
def dashboard(request: Request, staff: CurrentStaff, session: DbSession) -> HTMLResponse:
    rows = session.exec(
        select(Certification, Organization)
        .join(Organization, col(Organization.id) == Certification.vendor_id)
        .order_by(col(Certification.requested_at).desc())
        .limit(200)
    ).all()
    return templates.TemplateResponse(request, "panel.html", {"staff": staff, "rows": rows})
