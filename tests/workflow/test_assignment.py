"""Who reviews what (workflow.assignment): the least-loaded reviewer on acceptance, a
supervisor's reassignment, and the supervisor's board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from core.clock import travel_to, utcnow
from schema import AuditEvent, ReviewDecision, StaffRole, StaffUser
from tests.review.reviewing import submit_for_review
from tests.review.supervising import in_review, staff_member
from workflow.assignment import DECIDED_WINDOW, reassign, supervision_board
from workflow.certifications import certification_by_folio
from workflow.decisions import Decision, decide
from workflow.refusals import AssignmentReason, AssignmentRefused
from workflow.state_machine import Event, transition

R = StaffRole
# Evidence accepted on Thursday 12 March 2026 at noon in Mexico City: the review SLA ends on
# Friday 20 March (DOMAIN §4; Monday 16 is a rest day).
ACCEPTED = datetime(2026, 3, 12, 18, 0, tzinfo=UTC)


def ident(user: StaffUser) -> int:
    assert user.id is not None
    return user.id


def reviewer_of(engine, folio: str) -> int | None:
    with Session(engine) as session:
        certification = certification_by_folio(session, folio)
        assert certification is not None
        return certification.reviewer_id


def events(engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
            )
        )


def test_each_review_goes_to_the_active_reviewer_with_the_fewest_open(settings, engine):
    ana = staff_member(engine, "ana@infonavit.example", R.REVISOR)
    beto = staff_member(engine, "beto@infonavit.example", R.REVISOR)
    staff_member(engine, "ciro@infonavit.example", R.REVISOR, active=False)
    staff_member(engine, "sara@infonavit.example", R.SUPERVISOR)

    first = in_review(engine, "AAA010101AA1")
    second = in_review(engine, "BBB010101BB2")
    third = in_review(engine, "CCC010101CC3")
    # A tie goes to the lowest id; the inactive reviewer and the supervisor get nothing.
    assert [reviewer_of(engine, f) for f in (first, second, third)] == [ana.id, beto.id, ana.id]

    # A decided review no longer counts: Ana is down to one, as Beto, and wins the tie again.
    with Session(engine) as session:
        certification = certification_by_folio(session, first)
        assert certification is not None
        transition(session, certification, Event.APPROVED, actor="test")
        session.commit()
    assert reviewer_of(engine, in_review(engine, "DDD010101DD4")) == ana.id
    assert reviewer_of(engine, in_review(engine, "EEE010101EE5")) == beto.id

    assigned = events(engine, "certification.assigned")
    assert len(assigned) == 5
    assert assigned[0].actor == "system" and assigned[0].data["to"] == ana.id


def test_with_no_active_reviewer_the_review_stays_unassigned(settings, engine):
    staff_member(engine, "sara@infonavit.example", R.SUPERVISOR)
    folio = in_review(engine, "AAA010101AA1")
    assert reviewer_of(engine, folio) is None
    assert events(engine, "certification.assigned") == []
    with Session(engine) as session:
        assert [r.certification.folio for r in supervision_board(session, utcnow()).unassigned] == [
            folio
        ]


def test_accepted_evidence_is_assigned_on_the_real_path(reviewer, folio, engine, sent_tasks):
    submit_for_review(engine, folio)
    assert reviewer_of(engine, folio) == reviewer.id
    (assigned,) = events(engine, "certification.assigned")
    assert assigned.data["folio"] == folio and assigned.data["to"] == reviewer.id


def test_a_supervisor_reassigns_and_it_is_audited(settings, engine):
    ana = staff_member(engine, "ana@infonavit.example", R.REVISOR)
    beto = staff_member(engine, "beto@infonavit.example", R.REVISOR)
    folio = in_review(engine, "AAA010101AA1")
    assert reviewer_of(engine, folio) == ana.id

    with Session(engine, expire_on_commit=False) as session:
        done = reassign(session, f" {folio} ", ident(beto), actor="staff:99")
        session.commit()
    assert done.changed and done.reviewer.id == beto.id
    assert reviewer_of(engine, folio) == beto.id
    (event,) = events(engine, "certification.reassigned")
    assert event.actor == "staff:99"
    assert event.data == {"folio": folio, "round": 1, "from": ana.id, "to": beto.id}

    # The same form sent twice changes nothing more.
    with Session(engine) as session:
        again = reassign(session, folio, ident(beto), actor="staff:99")
        session.commit()
    assert not again.changed and len(events(engine, "certification.reassigned")) == 1


@pytest.mark.parametrize("target", ["supervisor", "inactive", "missing"])
def test_only_an_active_reviewer_can_receive_a_review(settings, engine, target):
    ana = staff_member(engine, "ana@infonavit.example", R.REVISOR)
    people = {
        "supervisor": ident(staff_member(engine, "sara@infonavit.example", R.SUPERVISOR)),
        "inactive": ident(staff_member(engine, "ciro@infonavit.example", R.REVISOR, active=False)),
        "missing": 999_999,
    }
    folio = in_review(engine, "AAA010101AA1")
    with Session(engine) as session, pytest.raises(AssignmentRefused) as refused:
        reassign(session, folio, people[target], actor="staff:1")
    assert refused.value.reason is AssignmentReason.NO_SUCH_REVIEWER
    assert (
        str(refused.value) == "La persona elegida no es un revisor activo; elija otra de la lista."
    )
    assert reviewer_of(engine, folio) == ana.id


def test_unknown_and_decided_certifications_are_refused(settings, engine):
    ana = staff_member(engine, "ana@infonavit.example", R.REVISOR)
    with Session(engine) as session, pytest.raises(AssignmentRefused) as refused:
        reassign(session, "0000000000", ident(ana), actor="staff:1")
    assert refused.value.reason is AssignmentReason.NO_SUCH_CERTIFICATION
    assert str(refused.value) == "No existe la certificación 0000000000."

    folio = in_review(engine, "AAA010101AA1")
    with Session(engine) as session:
        certification = certification_by_folio(session, folio)
        assert certification is not None
        transition(session, certification, Event.REJECTED, actor="test")
        session.commit()
    with Session(engine) as session, pytest.raises(AssignmentRefused) as refused:
        reassign(session, folio, ident(ana), actor="staff:1")
    assert refused.value.reason is AssignmentReason.CLOSED
    assert "«Con inconsistencias»" in str(refused.value)


def test_the_board_counts_breaches_in_business_days_and_workload(settings, engine):
    ana = staff_member(engine, "ana@infonavit.example", R.REVISOR, "Ana Núñez")
    late = in_review(engine, "AAA010101AA1", at=ACCEPTED)
    fresh = in_review(engine, "BBB010101BB2", at=ACCEPTED + timedelta(days=12))
    gone = staff_member(engine, "ciro@infonavit.example", R.REVISOR, "Ciro Gómez")
    with Session(engine) as session:
        reassign(session, fresh, ident(gone), actor="staff:1")
        session.commit()
    with Session(engine) as session:
        account = session.get(StaffUser, gone.id)
        assert account is not None
        account.is_active = False
        session.commit()

    # Wednesday 25 March, noon: the 23rd, 24th and 25th are business days past the 20th.
    now = datetime(2026, 3, 25, 18, 0, tzinfo=UTC)
    with travel_to(now), Session(engine) as session:
        board = supervision_board(session, now)
    by_folio = {r.certification.folio: r for r in board.reviews}
    assert [r.certification.folio for r in board.reviews] == [late, fresh]  # most urgent first
    assert by_folio[late].breached and by_folio[late].days_overdue == 3
    assert not by_folio[fresh].breached and by_folio[fresh].days_left is not None
    assert [r.certification.folio for r in board.breaches] == [late]
    # The deactivated reviewer still holds a review, so the supervisor sees it to hand it over;
    # only active reviewers can receive one.
    loads = {w.reviewer.full_name: (w.open, w.breached, w.decided) for w in board.workloads}
    assert loads == {"Ana Núñez": (1, 1, 0), "Ciro Gómez": (1, 0, 0)}
    assert [u.id for u in board.reviewers] == [ana.id]


def test_decided_reviews_count_for_their_reviewer(reviewer, folio, engine, sent_tasks):
    submit_for_review(engine, folio)
    with Session(engine) as session:
        certification = certification_by_folio(session, folio)
        account = session.get(StaffUser, reviewer.id)
        assert certification is not None and account is not None
        reason = "Aprobada tras revisar cada caso a mano."
        decide(session, certification, account, Decision(ReviewDecision.APROBADA, reason))
        session.commit()
    with Session(engine) as session:
        board = supervision_board(session, utcnow())
        later = supervision_board(session, utcnow() + DECIDED_WINDOW + timedelta(days=1))
    assert [(w.reviewer.id, w.open, w.decided) for w in board.workloads] == [(reviewer.id, 0, 1)]
    assert [(w.reviewer.id, w.decided) for w in later.workloads] == [(reviewer.id, 0)]
