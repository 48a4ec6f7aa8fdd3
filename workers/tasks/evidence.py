"""Evidence tasks: read an uploaded workbook and act on the reading."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from core.storage import read_blob
from evidence.guard import read_workbook_guarded
from schema import EvidenceSubmission, SubmissionStatus
from schema.base import utcnow
from workers.app import app
from workers.base import SiaTask
from workflow.evidence import apply_reading, submission_blob

# An upload waits this long for its own after-commit task before the sweep reads it again.
SWEEP_GRACE = timedelta(minutes=3)


@app.task(base=SiaTask, bind=True, name="sia.evidence.read_submission")
def read_submission(self: SiaTask, submission_id: int) -> dict[str, Any] | None:
    with self.transaction() as session:
        submission = session.get(EvidenceSubmission, submission_id)
        if submission is None or submission.status is not SubmissionStatus.RECIBIDA:
            return None
        data, name = read_blob(submission_blob(submission)), submission.original_name
    # Outside any transaction: parsing hostile bytes in a child process must not hold locks.
    reading = read_workbook_guarded(data, filename=name)
    with self.transaction() as session:
        done = apply_reading(session, submission_id, reading)
    return {"status": done.status.value} if done else None


@app.task(base=SiaTask, bind=True, name="sia.evidence.sweep_unread")
def sweep_unread(self: SiaTask) -> list[int]:
    """Catch uploads whose reading task never reached the broker or died with its worker."""
    with self.transaction() as session:
        ids = session.exec(
            select(EvidenceSubmission.id).where(
                EvidenceSubmission.status == SubmissionStatus.RECIBIDA,
                EvidenceSubmission.uploaded_at < utcnow() - SWEEP_GRACE,
            )
        ).all()
    stuck = [i for i in ids if i is not None]
    for submission_id in stuck:
        read_submission.delay(submission_id)
    return stuck
