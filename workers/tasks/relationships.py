"""Relationship tasks: registering a patrón's signed request, and the sweep of those whose task
never ran."""

from __future__ import annotations

from workers.app import app
from workers.base import SiaTask
from workflow.relationships.processing import process_request, sweep_pending_requests
from workflow.relationships.requests import PROCESS_TASK


@app.task(base=SiaTask, bind=True, name=PROCESS_TASK)
def process(self: SiaTask, relationship_id: int) -> str | None:
    with self.transaction() as session:
        relationship = process_request(session, relationship_id)
        return None if relationship is None else relationship.status.value


@app.task(base=SiaTask, bind=True, name="sia.relationships.sweep_pending")
def sweep(self: SiaTask) -> list[int]:
    """Catch requests whose after-commit task never reached the broker, or whose worker died."""
    with self.transaction() as session:
        return sweep_pending_requests(session)
