"""Tasks leave with the commit of the transaction that queued them, and only then."""

from sqlmodel import Session

from core.enqueue import enqueue_after_commit


def test_nothing_is_sent_before_the_commit_or_after_a_rollback(engine, sent_tasks):
    with Session(engine) as session:
        enqueue_after_commit(session, "sia.certifications.dispatch_test_set", 7)
        session.rollback()
    with Session(engine) as session:
        enqueue_after_commit(session, "sia.certifications.dispatch_test_set", 8)
        enqueue_after_commit(session, "sia.certifications.dispatch_test_set", 8)
        enqueue_after_commit(session, "sia.mail.relay")
        assert sent_tasks == []
        session.commit()
    assert sent_tasks == [("sia.certifications.dispatch_test_set", (8,)), ("sia.mail.relay", ())]


def test_a_savepoint_neither_sends_nor_drops_what_the_transaction_queued(engine, sent_tasks):
    with Session(engine) as session:
        enqueue_after_commit(session, "sia.system.ping")
        with session.begin_nested():
            pass  # released: SQLAlchemy reports it as a commit
        try:
            with session.begin_nested():
                raise ValueError  # rolled back: reported as a rollback
        except ValueError:
            pass
        assert sent_tasks == []
        session.commit()
    assert sent_tasks == [("sia.system.ping", ())]
