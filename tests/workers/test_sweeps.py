"""Beat's safety nets: work whose after-commit task never reached the broker is found again."""

from datetime import timedelta

from sqlmodel import Session, select

from core.clock import utcnow
from core.config import Settings
from schema import Certification, EvidenceSubmission, SubmissionStatus, TestSet
from tests.vendor import GOOD
from workers.app import app
from workers.schedule import beat_schedule
from workers.tasks.certifications import sweep_dispatch
from workers.tasks.evidence import sweep
from workflow.certifications import request_certification


def test_every_scheduled_task_exists():
    import workers.tasks.certifications
    import workers.tasks.deadlines
    import workers.tasks.evidence
    import workers.tasks.mail
    import workers.tasks.system  # noqa: F401

    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, name


def test_the_deadline_scan_runs_as_often_as_configured():
    schedule = beat_schedule(Settings(deadline_scan_seconds=120))
    assert schedule["scan-deadlines"]["task"] == "sia.deadlines.scan"
    assert schedule["scan-deadlines"]["schedule"] == 120.0


def test_a_request_left_without_its_dispatch_is_swept(settings, engine, sent_tasks):
    with Session(engine, expire_on_commit=False) as session:
        fresh = request_certification(
            session, rfc="CAC840428RH1", email="a@b.example", razon_social=None, actor="t"
        )
        old = request_certification(
            session, rfc="GODE561231GR8", email="b@b.example", razon_social=None, actor="t"
        )
        old.state_changed_at = utcnow() - timedelta(minutes=10)
        session.add(old)
        session.commit()
    sent_tasks.clear()
    assert sweep_dispatch() == [old.id]
    assert fresh.id != old.id
    assert sent_tasks == [("sia.certifications.dispatch_test_set", (old.id,))]


def test_uploads_left_unexamined_are_swept(engine, folio, sent_tasks):
    with Session(engine) as session:
        cert = session.exec(select(Certification).where(Certification.folio == folio)).one()
        test_set = session.exec(select(TestSet)).one()
        long_ago = utcnow() - timedelta(minutes=10)
        assert cert.id is not None and test_set.id is not None
        rows = [
            EvidenceSubmission(
                certification_id=cert.id,
                test_set_id=test_set.id,
                round=1,
                uploaded_by="t",
                uploaded_at=when,
                size_bytes=len(GOOD),
                sha256=f"{n:064x}",
                original_name="e.xlsx",
                status=status,
            )
            for n, (status, when) in enumerate(
                [
                    (SubmissionStatus.RECIBIDA, long_ago),  # never examined: swept
                    (SubmissionStatus.RECIBIDA, utcnow()),  # its own task may still come
                    (SubmissionStatus.ACEPTADA, long_ago),  # done
                    (SubmissionStatus.ILEGIBLE, long_ago),  # done
                ]
            )
        ]
        session.add_all(rows)
        session.commit()
        ids = [r.id for r in rows]
    sent_tasks.clear()
    assert sweep() == [ids[0]]
    assert sent_tasks == [("sia.evidence.examine_submission", (ids[0],))]
