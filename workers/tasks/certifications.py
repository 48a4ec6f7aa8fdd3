"""Certification tasks: dispatching test sets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from schema import Certification, CertificationState
from schema.base import utcnow
from workers.app import app
from workers.base import SiaTask
from workflow.dispatch import dispatch_test_set as dispatch

# A request waits this long for its own after-commit task before the sweep sends it again.
SWEEP_GRACE = timedelta(minutes=2)


@app.task(base=SiaTask, bind=True, name="sia.certifications.dispatch_test_set")
def dispatch_test_set(self: SiaTask, certification_id: int) -> dict[str, Any] | None:
    with self.transaction() as session:
        result = dispatch(session, certification_id)
    if result is None:
        return None
    return {"test_set_id": result.test_set_id, "ronda": result.ronda}


@app.task(base=SiaTask, bind=True, name="sia.certifications.sweep_pending_dispatch")
def sweep_pending_dispatch(self: SiaTask) -> list[int]:
    """Catch requests whose after-commit task never reached the broker."""
    with self.transaction() as session:
        ids = session.exec(
            select(Certification.id).where(
                col(Certification.state).in_(
                    [CertificationState.SOLICITADA, CertificationState.CON_INCONSISTENCIAS]
                ),
                Certification.state_changed_at < utcnow() - SWEEP_GRACE,
            )
        ).all()
    stuck = [i for i in ids if i is not None]
    for certification_id in stuck:
        dispatch_test_set.delay(certification_id)
    return stuck
