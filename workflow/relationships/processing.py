"""Registering a signed request (the guide speaks of minutes): a worker turns `En proceso` into
`Relación Vigente`, with its vigencia, its signed acuse and the emails, or into `No procedente`
when the vendor stopped being certified meanwhile.

All of it is one transaction under the relationship's row lock: a retried or duplicated task
finds the status moved on and does nothing, and a worker killed half-way leaves nothing behind,
so the sweep (``sweep_pending_requests``) has the request registered once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import get_settings
from core.enqueue import enqueue_after_commit
from mailer.outbox import queue_email, store_attachment
from rules.formatting import fecha
from rules.vigencia import VIGENCIAS, vigencia
from schema import (
    DocumentKind,
    Organization,
    PendingSignature,
    RelationshipStatus,
    TrustRelationship,
)
from workflow.portal.signatures import issue_signed_acuse
from workflow.portal.terms import TermsKind, terms
from workflow.relationships.emails import relationship_context
from workflow.relationships.expiry import schedule_notices
from workflow.relationships.requests import PROCESS_TASK, is_certified
from workflow.relationships.states import RelationshipEvent, move

# A request waits this long for its own after-commit task before the sweep queues it again.
SWEEP_GRACE = timedelta(minutes=2)
PDF = "application/pdf"
ACUSE_TITLE = "Acuse de relación de confianza del Servicio de Intercomunicación de Avisos"
NOT_CERTIFIED = "El desarrollador dejó de estar certificado antes de que se registrara la relación."


def process_request(session: Session, relationship_id: int) -> TrustRelationship | None:
    """Register the request; None when there is nothing to do (already processed)."""
    relationship = session.exec(
        select(TrustRelationship)
        .where(TrustRelationship.id == relationship_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if relationship is None or relationship.status is not RelationshipStatus.EN_PROCESO:
        return None
    patron = session.get(Organization, relationship.patron_id)
    vendor = session.get(Organization, relationship.vendor_id)
    signature = session.get(PendingSignature, relationship.signature_id)
    assert patron is not None and vendor is not None and signature is not None
    assert vendor.id is not None
    context = relationship_context(relationship, patron, vendor)
    if not is_certified(session, vendor.id, lock=True):
        move(
            session, relationship, RelationshipEvent.DECLINED, actor="system", reason=NOT_CERTIFIED
        )
        queue_email(
            session,
            key=f"relationship:{relationship.id}:declined",
            template="relacion_no_procedente",
            to=[patron.email],
            context=context,
        )
        return relationship

    now = utcnow()
    span = vigencia(now, relationship.vigencia_months, get_settings().tz)
    move(
        session,
        relationship,
        RelationshipEvent.REGISTERED,
        actor="system",
        data={"starts_on": span.starts_on.isoformat(), "ends_on": span.ends_on.isoformat()},
    )
    relationship.starts_on = span.starts_on
    relationship.ends_on = span.ends_on
    relationship.expires_at = span.expires_at
    schedule_notices(relationship, now)
    current = terms(TermsKind.RELACIONES)
    issued = issue_signed_acuse(
        session,
        signature,
        patron,
        kind=DocumentKind.ACUSE_RELACION,
        title=ACUSE_TITLE,
        paragraphs=(current.title, *current.paragraphs),
        details=(
            ("No. de Caso", relationship.folio),
            ("NRP", patron.nrp or ""),
            ("Desarrollador", f"{vendor.razon_social} ({vendor.rfc})"),
            ("Servicio de Intercomunicación", relationship.service.label),
            ("Vigencia", VIGENCIAS[relationship.vigencia_months]),
            ("Fecha inicio vigencia", fecha(span.starts_on)),
            ("Fin de vigencia", fecha(span.ends_on)),
        ),
    )
    relationship.acuse_id = issued.document.id
    session.add(relationship)
    dates = {"inicio_vigencia": span.starts_on, "fin_vigencia": span.ends_on}
    queue_email(
        session,
        key=f"relationship:{relationship.id}:registered",
        template="relacion_vigente",
        to=[patron.email],
        context={**context, "servicio": relationship.service.label, **dates},
        attachments=[store_attachment(issued.pdf, f"acuse-relacion-{relationship.folio}.pdf", PDF)],
    )
    queue_email(
        session,
        key=f"relationship:{relationship.id}:vendor",
        template="relacion_nueva_desarrollador",
        to=[vendor.email],
        context={
            "folio": relationship.folio,
            "razon_social": vendor.razon_social,
            "patron_rfc": patron.rfc,
            "patron_nrp": patron.nrp or "",
            "patron_razon_social": patron.razon_social,
            "servicio": relationship.service.label,
            **dates,
        },
    )
    return relationship


def sweep_pending_requests(session: Session, *, now: datetime | None = None) -> list[int]:
    """Queue again the requests whose task never ran or died (index ``status, requested_at``)."""
    ids = session.exec(
        select(TrustRelationship.id).where(
            TrustRelationship.status == RelationshipStatus.EN_PROCESO,
            col(TrustRelationship.requested_at) < (now or utcnow()) - SWEEP_GRACE,
        )
    ).all()
    stuck = [i for i in ids if i is not None]
    for relationship_id in stuck:
        enqueue_after_commit(session, PROCESS_TASK, relationship_id)
    return stuck
