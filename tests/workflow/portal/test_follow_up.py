"""«Seguimiento a Certificación» (workflow.portal.follow_up): the vendor's latest certification,
its evidence term and business days left, its acuses, each round's test set, uploads and, for a
rejected round, the reviewer's findings; another vendor's rows are never reached."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import travel_to
from rules.calendar import MEXICO_CITY
from schema import (
    CertificationState,
    DocumentKind,
    Finding,
    FindingSource,
    ReviewDecision,
    StaffUser,
    TestSet,
)
from tests.efirma.factory import Lab
from tests.review.reviewing import evaluation_cases, round_of
from tests.workflow.portal.helpers import (
    OTHER_EMAIL,
    OTHER_RFC,
    Company,
    continuar,
    decide_round,
    dispatch,
    efirma_of,
    loaded,
    receive_upload,
    request_certification_signed,
    requested_and_dispatched,
    submit_evidence,
    validar,
    vendor_with_password,
)
from workflow.decisions import OBSERVATION_CODE, Decision
from workflow.portal.certification import confirm_cancellation, sign_cancellation
from workflow.portal.follow_up import FollowUp, follow_up, vendor_submission, vendor_test_set

S = CertificationState
Tasks = list[tuple[str, tuple[Any, ...]]]
REASON = "Revise el cálculo del seguro de daños en los casos de evaluación."

# DOMAIN §4's worked examples: sent Fri 2026-01-09 → 45th business day 2026-03-17; a new set
# sent 2026-03-25 → 10th business day 2026-04-08.
SENT = datetime(2026, 1, 9, 10, 0, tzinfo=MEXICO_CITY)
EVIDENCE = datetime(2026, 3, 12, 10, 0, tzinfo=MEXICO_CITY)
REJECTED = datetime(2026, 3, 25, 10, 0, tzinfo=MEXICO_CITY)


@pytest.fixture
def vendor_with_request(portal: Engine, lab: Lab) -> Company:
    """A vendor whose certification is `En espera de documentos`, requested in the portal."""
    vendor = vendor_with_password(portal, lab)
    requested_and_dispatched(portal, vendor)
    return vendor


def _follow_up(engine: Engine, company: Company) -> FollowUp | None:
    with Session(engine, expire_on_commit=False) as session:
        _, organization = loaded(session, company)
        return follow_up(session, organization)


def _shown(engine: Engine, company: Company) -> FollowUp:
    shown = _follow_up(engine, company)
    assert shown is not None
    return shown


def _last_day(moment: datetime | None) -> date:
    """The local date of a deadline, which ends the day (23:59:59 and then some)."""
    assert moment is not None
    local = moment.astimezone(MEXICO_CITY)
    assert local.time() >= time(23, 59, 59)
    return local.date()


def _test_sets(engine: Engine, certification_id: int) -> list[TestSet]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(TestSet)
                .where(TestSet.certification_id == certification_id)
                .order_by(col(TestSet.round))
            )
        )


def _findings(engine: Engine, submission_id: int, source: FindingSource) -> list[Finding]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Finding)
                .where(Finding.submission_id == submission_id, Finding.source == source)
                .order_by(col(Finding.id))
            )
        )


def test_without_a_certification_there_is_nothing_to_follow(
    portal: Engine, lab: Lab, sent_tasks: Tasks
) -> None:
    vendor = vendor_with_password(portal, lab)
    assert _follow_up(portal, vendor) is None
    # Another vendor's certification is not this one's.
    other = vendor_with_password(
        portal, lab, rfc=OTHER_RFC, email=OTHER_EMAIL, files=efirma_of(lab, OTHER_RFC)
    )
    requested_and_dispatched(portal, other)
    assert _follow_up(portal, vendor) is None
    assert _follow_up(portal, other) is not None


def test_the_request_then_its_test_set_and_the_45_business_days(
    portal: Engine, lab: Lab, sent_tasks: Tasks
) -> None:
    with travel_to(SENT):
        vendor = vendor_with_password(portal, lab)
        certification = request_certification_signed(portal, vendor)
        assert certification.id is not None
        requested = _shown(portal, vendor)
        assert requested.certification.id == certification.id
        assert requested.certification.state is S.SOLICITADA
        assert requested.deadline is None and requested.days_left is None
        assert [d.kind for d in requested.documents] == [DocumentKind.ACUSE_SOLICITUD]
        (only,) = requested.rounds
        assert (only.number, only.test_set, only.submissions, only.findings) == (1, None, (), ())
        assert not (requested.receiving or requested.awaiting_signature or requested.cancellable)

        dispatched = dispatch(portal, certification.id)
        shown = _shown(portal, vendor)
    assert shown.certification.state is S.EN_ESPERA_DE_DOCUMENTOS
    assert shown.deadline == dispatched.deadline
    assert _last_day(shown.deadline) == date(2026, 3, 17)
    assert shown.days_left == 45
    assert shown.receiving and shown.cancellable and not shown.awaiting_signature
    (first,) = shown.rounds
    assert first.number == 1 and first.test_set is not None
    assert first.test_set.id == dispatched.test_set_id and first.test_set.round == 1
    assert first.submissions == () and first.findings == ()
    assert [d.kind for d in shown.documents] == [DocumentKind.ACUSE_SOLICITUD]

    # The business days left go down with the calendar (Mar 16 is a rest day in 2026).
    with travel_to(datetime(2026, 3, 12, 12, 0, tzinfo=MEXICO_CITY)):
        assert _shown(portal, vendor).days_left == 2  # Fri 13 and Tue 17
    with travel_to(datetime(2026, 3, 13, 12, 0, tzinfo=MEXICO_CITY)):
        assert _shown(portal, vendor).days_left == 1
    with travel_to(datetime(2026, 3, 17, 12, 0, tzinfo=MEXICO_CITY)):
        assert _shown(portal, vendor).days_left == 0


def test_a_cancelled_certification_shows_no_running_term(
    portal: Engine, vendor_with_request: Company, sent_tasks: Tasks
) -> None:
    vendor = vendor_with_request
    waiting = validar(portal, vendor, sign_cancellation)
    continuar(portal, vendor, confirm_cancellation, waiting.token)
    shown = _shown(portal, vendor)
    assert shown.certification.state is S.CANCELADA
    assert shown.deadline is None and shown.days_left is None
    assert not (shown.receiving or shown.cancellable or shown.awaiting_signature)
    assert [d.kind for d in shown.documents] == [
        DocumentKind.ACUSE_SOLICITUD,
        DocumentKind.ACUSE_CANCELACION,
    ]
    # A new request is what the page follows from then on.
    again = request_certification_signed(portal, vendor)
    shown = _shown(portal, vendor)
    assert shown.certification.id == again.id and shown.certification.state is S.SOLICITADA
    assert [d.kind for d in shown.documents] == [DocumentKind.ACUSE_SOLICITUD]


def _rejected_round(
    engine: Engine, lab: Lab, reviewer: StaffUser
) -> tuple[Company, int, int, list[str], Finding]:
    """A certification whose round 1 had two wrong evaluation totals and was rejected with the
    first one's finding passed on (not yet dispatched again): the vendor, the certification's
    id, the submission's id, the two wrong cases and the finding passed on."""
    with travel_to(SENT):
        vendor = vendor_with_password(engine, lab)
        certification = requested_and_dispatched(engine, vendor)
    assert certification.id is not None
    wrong = evaluation_cases(round_of(engine, certification.folio))[:2]
    with travel_to(EVIDENCE):
        submission_id = submit_evidence(engine, vendor, certification.folio, wrong=wrong)
    automatic = _findings(engine, submission_id, FindingSource.AUTOMATICO)
    mismatches = {f.case: f for f in automatic if f.code == "T2-TOTAL-MISMATCH"}
    assert set(wrong) <= set(mismatches)
    passed = mismatches[wrong[0]]
    assert passed.id is not None
    with travel_to(REJECTED):
        decision = Decision(ReviewDecision.CON_INCONSISTENCIAS, REASON, (passed.id,))
        decide_round(engine, certification.folio, reviewer, decision)
    return vendor, certification.id, submission_id, wrong, passed


def test_a_rejected_round_shows_the_reviewers_findings_and_round_two_its_test_set(
    portal: Engine, lab: Lab, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    vendor, certification_id, submission_id, wrong, _ = _rejected_round(portal, lab, reviewer)
    with travel_to(REJECTED):
        rejected = _shown(portal, vendor)
    assert rejected.certification.state is S.CON_INCONSISTENCIAS
    assert rejected.deadline is None and rejected.days_left is None
    (round_1,) = rejected.rounds
    assert [f.code for f in round_1.findings] == [OBSERVATION_CODE, "T2-TOTAL-MISMATCH"]

    with travel_to(REJECTED):
        dispatched = dispatch(portal, certification_id)
        shown = _shown(portal, vendor)
    assert dispatched.round == 2
    assert shown.certification.state is S.EN_ESPERA_DE_DOCUMENTOS
    assert shown.certification.round == 2 and shown.receiving
    assert shown.deadline == dispatched.deadline
    assert _last_day(shown.deadline) == date(2026, 4, 8)  # 10 business days
    assert shown.days_left == 10

    first_set, second_set = _test_sets(portal, certification_id)
    round_2, round_1 = shown.rounds
    assert round_2.number == 2 and round_2.test_set is not None
    assert round_2.test_set.id == second_set.id == dispatched.test_set_id
    assert round_2.test_set.folio != first_set.folio
    assert round_2.submissions == () and round_2.findings == ()

    assert round_1.number == 1 and round_1.test_set is not None
    assert round_1.test_set.id == first_set.id
    assert [s.id for s in round_1.submissions] == [submission_id]
    # The reviewer's findings, as sent: the observation and the one finding passed on; none of
    # the automatic ones (the other wrong case is not mentioned).
    observation, mismatch = round_1.findings
    assert (observation.code, observation.message) == (OBSERVATION_CODE, REASON)
    assert mismatch.code == "T2-TOTAL-MISMATCH" and wrong[0] in mismatch.message
    assert all(wrong[1] not in finding.message for finding in round_1.findings)
    automatic = _findings(portal, submission_id, FindingSource.AUTOMATICO)
    assert len(automatic) > 1
    assert [f.code for f in round_1.findings].count("T2-TOTAL-MISMATCH") == 1

    # The term runs down to its last day.
    with travel_to(datetime(2026, 4, 7, 12, 0, tzinfo=MEXICO_CITY)):
        assert _shown(portal, vendor).days_left == 1
    with travel_to(datetime(2026, 4, 8, 18, 0, tzinfo=MEXICO_CITY)):
        assert _shown(portal, vendor).days_left == 0


def test_the_findings_shown_never_carry_an_expected_amount(
    portal: Engine, lab: Lab, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    vendor, certification_id, _, wrong, passed = _rejected_round(portal, lab, reviewer)
    (first_set,) = _test_sets(portal, certification_id)
    expected_total = Decimal(first_set.answers[wrong[0]]["total"])
    with travel_to(REJECTED):
        (round_1,) = _shown(portal, vendor).rounds
    assert passed.expected is not None  # the reviewer's copy knows the answer …
    shown = " ".join(finding.message for finding in round_1.findings)
    # … the vendor's must not (the evaluation's totals never leave the back office).
    assert f"{expected_total:.2f}" not in shown
    assert passed.expected not in shown


def test_another_vendors_test_set_and_upload_are_not_reached(
    portal: Engine, lab: Lab, sent_tasks: Tasks
) -> None:
    vendor = vendor_with_password(portal, lab)
    other = vendor_with_password(
        portal, lab, rfc=OTHER_RFC, email=OTHER_EMAIL, files=efirma_of(lab, OTHER_RFC)
    )
    mine = requested_and_dispatched(portal, vendor)
    theirs = requested_and_dispatched(portal, other)
    assert mine.id is not None and theirs.id is not None
    (my_set,) = _test_sets(portal, mine.id)
    (their_set,) = _test_sets(portal, theirs.id)
    submission_id = receive_upload(portal, vendor, mine.folio, b"un libro cualquiera")

    with Session(portal) as session:
        _, me = loaded(session, vendor)
        _, them = loaded(session, other)
        found = vendor_test_set(session, me, f" {my_set.folio} ")
        assert found is not None and found.id == my_set.id
        assert vendor_test_set(session, them, my_set.folio) is None
        assert vendor_test_set(session, me, their_set.folio) is None
        assert vendor_test_set(session, me, mine.folio) is None  # a certification's folio
        assert vendor_test_set(session, me, "") is None

        upload = vendor_submission(session, me, submission_id)
        assert upload is not None and upload.id == submission_id
        assert vendor_submission(session, them, submission_id) is None
        assert vendor_submission(session, me, submission_id + 1000) is None

    theirs_shown = _shown(portal, other)
    assert theirs_shown.certification.id == theirs.id
    assert [s.id for r in theirs_shown.rounds for s in r.submissions] == []
    mine_shown = _shown(portal, vendor)
    assert [s.id for r in mine_shown.rounds for s in r.submissions] == [submission_id]
