"""Evidence tasks: read an uploaded workbook and act on the reading."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from core.keys import avisos_keypair
from core.storage import read_blob
from evidence.checks import check_evidence
from evidence.guard import read_workbook_guarded
from schema import EvidenceSubmission, SubmissionStatus, TestSet
from schema.base import utcnow
from workers.app import app
from workers.base import SiaTask
from workflow.evidence import apply_checks, apply_reading, submission_blob

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
    if done is None:
        return None
    if done.status is SubmissionStatus.ACEPTADA:
        check_submission.delay(submission_id)  # after the commit above; swept if it is lost
    return {"status": done.status.value}


@app.task(base=SiaTask, bind=True, name="sia.evidence.check_submission")
def check_submission(self: SiaTask, submission_id: int) -> dict[str, Any] | None:
    """Check an accepted workbook against its round's test set; re-running replaces findings."""
    with self.transaction() as session:
        submission = session.get(EvidenceSubmission, submission_id)
        if submission is None or submission.status is not SubmissionStatus.ACEPTADA:
            return None
        test_set = session.get(TestSet, submission.test_set_id)
        assert test_set is not None
        data, name = read_blob(submission_blob(submission)), submission.original_name
        document, answers = test_set.document, test_set.answers
        responses = test_set.avisos_responses
    reading = read_workbook_guarded(data, filename=name)
    result = check_evidence(
        reading,
        test_set=document,
        answers=answers,
        avisos_responses=responses,
        public_key=avisos_keypair()[1],
    )
    with self.transaction() as session:
        done = apply_checks(session, submission_id, result)
    return {"verdict": result.verdict} if done else None


@app.task(base=SiaTask, bind=True, name="sia.evidence.sweep_unread")
def sweep_unread(self: SiaTask) -> list[int]:
    """Catch uploads whose reading or checking task never reached the broker or died with its
    worker."""
    with self.transaction() as session:
        ids = session.exec(
            select(EvidenceSubmission.id).where(
                EvidenceSubmission.status == SubmissionStatus.RECIBIDA,
                EvidenceSubmission.uploaded_at < utcnow() - SWEEP_GRACE,
            )
        ).all()
        unchecked = session.exec(
            select(EvidenceSubmission.id).where(
                EvidenceSubmission.status == SubmissionStatus.ACEPTADA,
                col(EvidenceSubmission.verdict).is_(None),
                EvidenceSubmission.uploaded_at < utcnow() - SWEEP_GRACE,
            )
        ).all()
    unread = [i for i in ids if i is not None]
    for submission_id in unread:
        read_submission.delay(submission_id)
    to_check = [i for i in unchecked if i is not None]
    for submission_id in to_check:
        check_submission.delay(submission_id)
    return unread + to_check
