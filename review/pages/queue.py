"""The review queue: the reviewers' landing page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from core.clock import utcnow
from review.deps import CurrentStaff, DbSession
from review.templating import render
from schema import (
    Certification,
    CertificationState,
    Clock,
    ClockKind,
    Organization,
)

router = APIRouter(include_in_schema=False)


@router.get("/panel", response_class=HTMLResponse)
def dashboard(request: Request, staff: CurrentStaff, session: DbSession) -> HTMLResponse:
    rows = session.exec(
        select(Certification, Organization)
        .join(Organization, col(Organization.id) == Certification.vendor_id)
        .order_by(col(Certification.requested_at).desc())
        .limit(200)
    ).all()
    clocks: dict[tuple[int | None, int, ClockKind], Clock] = {
        (clock.certification_id, clock.round, clock.kind): clock
        for clock in session.exec(
            select(Clock).where(col(Clock.certification_id).in_([c.id for c, _ in rows]))
        )
    }
    listed = [
        {
            "cert": cert,
            "vendor": vendor,
            "evidence": clocks.get((cert.id, cert.round, ClockKind.EVIDENCIA)),
            "review": clocks.get((cert.id, cert.round, ClockKind.REVISION)),
        }
        for cert, vendor in rows
    ]
    return render(
        request,
        "cola.html",
        {
            "staff": staff,
            "seccion": "cola",
            "rows": listed,
            "in_review": CertificationState.EN_ANALISIS,
            "now": utcnow(),
        },
    )
