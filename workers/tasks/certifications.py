"""Certification tasks: dispatching test sets."""

from __future__ import annotations

from typing import Any

from workers.app import app
from workers.base import SiaTask
from workflow.dispatch import DISPATCH_TASK, dispatch_test_set, sweep_pending_dispatch


@app.task(base=SiaTask, bind=True, name=DISPATCH_TASK)
def dispatch(self: SiaTask, certification_id: int) -> dict[str, Any] | None:
    with self.transaction() as session:
        result = dispatch_test_set(session, certification_id)
    return None if result is None else {"test_set_id": result.test_set_id, "round": result.round}


@app.task(base=SiaTask, bind=True, name="sia.certifications.sweep_pending_dispatch")
def sweep_dispatch(self: SiaTask) -> list[int]:
    """Catch requests whose after-commit task never reached the broker."""
    with self.transaction() as session:
        return sweep_pending_dispatch(session)
