"""Send a round's test set: generate and store it, queue its email, start the evidence clock.

Runs as a task after the certification request (or the reviewer's rejection) commits; all of it
happens in one transaction under the certification's row lock, so a retried or duplicated task
finds the state already moved on and does nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import get_settings
from core.enqueue import enqueue_after_commit
from core.keys import avisos_keypair
from mailer.outbox import queue_email, store_attachment
from rules.signing import PUBLIC_KEY_FILE, public_key_pem
from rules.testsets.generate import TEMPLATE_FILE, TEST_SET_FILE
from rules.workbook_template import build_template
from schema import (
    Certification,
    CertificationState,
    ClockKind,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Organization,
)
from workflow.clocks import running_clock
from workflow.state_machine import TRANSITIONS, Event, transition
from workflow.testsets import create_test_set

DISPATCH_TASK = "sia.certifications.dispatch_test_set"
# A request waits this long for its own after-commit task before the sweep queues it again.
SWEEP_GRACE = timedelta(minutes=2)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Dispatched:
    test_set_id: int
    round: int
    deadline: datetime


def dispatch_test_set(session: Session, certification_id: int) -> Dispatched | None:
    """Issue the next round's test set; None when there is nothing to send (already sent).

    Entering `En espera de documentos` starts the evidence clock (45 business days in the first
    round, 10 in later ones); the email states its deadline.
    """
    certification = session.exec(
        select(Certification).where(Certification.id == certification_id).with_for_update()
    ).one()
    if certification.state not in TRANSITIONS[Event.TEST_SET_SENT].sources:
        return None
    vendor = session.get(Organization, certification.vendor_id)
    assert vendor is not None and certification.id is not None
    now = utcnow()
    first = certification.state is CertificationState.SOLICITADA
    round_ = certification.round if first else certification.round + 1

    issued = create_test_set(session, certification, vendor, round_, now)
    test_set = issued.test_set

    transition(
        session,
        certification,
        Event.TEST_SET_SENT,
        actor="system",
        data={"test_set_folio": test_set.folio},
    )
    clock = running_clock(session, certification, ClockKind.EVIDENCIA)
    assert clock is not None
    _, public_key = avisos_keypair()
    document = json.dumps(test_set.document, ensure_ascii=False, indent=2).encode()
    attachments = [
        store_attachment(document, TEST_SET_FILE, "application/json"),
        store_attachment(build_template(test_set.document), TEMPLATE_FILE, XLSX),
        store_attachment(public_key_pem(public_key), PUBLIC_KEY_FILE, "application/x-pem-file"),
    ]
    settings = get_settings()
    context = {
        "folio": certification.folio,
        "ronda": round_,
        "razon_social": vendor.razon_social,
        "fecha_limite": clock.due_at.isoformat(),
        "dias_habiles": clock.term_days,
        "sandbox": {
            "url": f"{settings.base_url}/api/v1",
            "rfc": vendor.rfc,
            "tiene_contrasena": vendor.sia_password_hash is not None,
            "nrp": test_set.patron_nrp,
            "patron_password": issued.patron_password,
        },
    }
    if not first:
        context["hallazgos"] = _reviewer_findings(session, certification.id, round_ - 1)
    queue_email(
        session,
        key=f"certification:{certification.id}:test_set:{round_}",
        template="set_de_pruebas" if first else "inconsistencias",
        to=[vendor.email],
        context=context,
        attachments=attachments,
    )
    assert test_set.id is not None
    return Dispatched(test_set.id, round_, clock.due_at)


def sweep_pending_dispatch(session: Session, *, now: datetime | None = None) -> list[int]:
    """Queue again the requests whose dispatch never reached the broker (after commit)."""
    ids = session.exec(
        select(Certification.id).where(
            col(Certification.state).in_(TRANSITIONS[Event.TEST_SET_SENT].sources),
            Certification.state_changed_at < (now or utcnow()) - SWEEP_GRACE,
        )
    ).all()
    stuck = [i for i in ids if i is not None]
    for certification_id in stuck:
        enqueue_after_commit(session, DISPATCH_TASK, certification_id)
    return stuck


def _reviewer_findings(
    session: Session, certification_id: int, round_: int
) -> list[dict[str, str]]:
    """What the reviewer told the vendor; automatic amount findings stay internal (DOMAIN §9)."""
    rows = session.exec(
        select(Finding)
        .join(EvidenceSubmission, col(EvidenceSubmission.id) == Finding.submission_id)
        .where(
            EvidenceSubmission.certification_id == certification_id,
            EvidenceSubmission.round == round_,
            Finding.source == FindingSource.REVISOR,
        )
        .order_by(col(Finding.id))
    ).all()
    return [{"codigo": f.code, "mensaje": f.message} for f in rows]
