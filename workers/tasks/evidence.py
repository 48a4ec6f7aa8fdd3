"""Evidence tasks: examine an uploaded workbook and apply the outcome."""

from __future__ import annotations

from typing import Any

from workers.app import app
from workers.base import SiaTask
from workflow.evidence import EXAMINE_TASK, examine_submission, sweep_unexamined


@app.task(base=SiaTask, bind=True, name=EXAMINE_TASK)
def examine(self: SiaTask, submission_id: int) -> dict[str, Any] | None:
    done = examine_submission(self.transaction, submission_id)
    if done is None:
        return None
    return {"status": done.status.value, "verdict": done.verdict.value if done.verdict else None}


@app.task(base=SiaTask, bind=True, name="sia.evidence.sweep_unexamined")
def sweep(self: SiaTask) -> list[int]:
    """Catch uploads whose examination never reached the broker or died with its worker."""
    with self.transaction() as session:
        return sweep_unexamined(session)
