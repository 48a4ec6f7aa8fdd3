"""The end of a relationship's vigencia (workflow.relationships.expiry, run by the deadline
scan): reminders 15 days and 1 day before «Fin de vigencia», `Relación no vigente` at its start
(local time), each once however often or however concurrently the scan runs; after an outage
only the latest notice; nothing for a relationship that already ended."""

from __future__ import annotations

import threading
from datetime import date, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import travel_to
from core.db import session_scope
from rules.calendar import MEXICO_CITY
from schema import RelationshipNotice, RelationshipStatus, TrustRelationship
from tests.efirma.factory import Lab
from tests.workflow.portal.helpers import emails
from tests.workflow.relationships.flows import (
    PATRON_EMAIL,
    SAMA_NAME,
    SAMA_RFC,
    Patron,
    cancel_relationship,
    certified_vendor,
    events,
    other_patron,
    patron_with_password,
    request_relationship,
    stored,
    vigente_relationship,
)
from tests.workflow.relationships.helpers import VENDOR_RFC
from workflow.deadlines import scan
from workflow.relationships.expiry import RelationshipScan, scan_relationships

S = RelationshipStatus
N = RelationshipNotice
# Registered 07/mar/2026 for 3 months: «Fin de vigencia» 07/jun/2026, so the 15-day reminder is
# due at the start of 23/may, the 1-day one at the start of 06/jun, and it ends at the start of
# 07/jun (local time).
REGISTERED = datetime(2026, 3, 7, 10, 0, tzinfo=MEXICO_CITY)
THIRD_RFC, THIRD_NAME = "NTE010101AB1", "NOMINAS DEL ESTE SA"

pytestmark = pytest.mark.usefixtures("portal_settings", "sent_tasks")


def local(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=MEXICO_CITY)


@pytest.fixture
def patron(engine: Engine, lab: Lab) -> Patron:
    return patron_with_password(engine, lab)


@pytest.fixture
def vendors(engine: Engine) -> list[str]:
    """Three certified vendors' RFCs."""
    certified_vendor(engine)
    certified_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    certified_vendor(engine, rfc=THIRD_RFC, name=THIRD_NAME)
    return [VENDOR_RFC, SAMA_RFC, THIRD_RFC]


def _deadline_scan(engine: Engine, at: datetime) -> dict[str, Any]:
    """The beat's deadline scan at ``at``, as its JSON summary."""
    with travel_to(at):
        return scan(partial(session_scope, engine)).to_json()


def _relationship_scan(engine: Engine, at: datetime) -> RelationshipScan:
    return scan_relationships(partial(session_scope, engine), at)


def _sent(engine: Engine, template: str) -> list[tuple[str, Any]]:
    """(folio, dias) of each email of ``template``."""
    return [(e.context["folio"], e.context.get("dias")) for e in emails(engine, template)]


def test_reminders_15_days_and_1_day_before_then_no_vigente_each_once(
    engine: Engine, patron: Patron, vendors: list[str]
) -> None:
    relationship = vigente_relationship(engine, patron, months=3, at=REGISTERED)
    folio = relationship.folio
    assert (relationship.starts_on, relationship.ends_on) == (date(2026, 3, 7), date(2026, 6, 7))
    nothing: dict[str, list[Any]] = {"relaciones_recordatorios": [], "relaciones_no_vigentes": []}

    def relationship_part(summary: dict[str, Any]) -> dict[str, Any]:
        return {key: summary[key] for key in nothing}

    # The deadline scan says what it did with relationships in its JSON.
    summary = _deadline_scan(engine, local(5, 22, 23, 59, 59))
    assert relationship_part(summary) == nothing
    assert emails(engine, "relacion_por_vencer") == []

    for at in (local(5, 23), local(5, 23, 0, 5), local(6, 5, 23, 59, 59)):
        expected = [{"no_de_caso": folio, "dias": 15}] if at == local(5, 23) else []
        assert relationship_part(_deadline_scan(engine, at)) == {
            **nothing,
            "relaciones_recordatorios": expected,
        }
    (reminder,) = emails(engine, "relacion_por_vencer")
    assert reminder.recipients == [PATRON_EMAIL]
    assert reminder.context["dias"] == 15 and reminder.context["fin_vigencia"] == "2026-06-07"
    assert reminder.context["desarrollador_rfc"] == VENDOR_RFC
    row = stored(engine, relationship.id)
    assert (row.next_notice, row.next_at) == (N.RECORDATORIO_1, local(6, 6))

    for at in (local(6, 6), local(6, 6, 12), local(6, 6, 23, 59, 59)):
        expected = [{"no_de_caso": folio, "dias": 1}] if at == local(6, 6) else []
        assert relationship_part(_deadline_scan(engine, at)) == {
            **nothing,
            "relaciones_recordatorios": expected,
        }
    assert _sent(engine, "relacion_por_vencer") == [(folio, 15), (folio, 1)]
    row = stored(engine, relationship.id)
    assert row.status is S.VIGENTE  # vigente its whole last day
    assert (row.next_notice, row.next_at) == (N.VENCIMIENTO, local(6, 7))

    # At the start of «Fin de vigencia» it is no longer vigente.
    assert relationship_part(_deadline_scan(engine, local(6, 7))) == {
        **nothing,
        "relaciones_no_vigentes": [folio],
    }
    assert relationship_part(_deadline_scan(engine, local(6, 7, 0, 1))) == nothing
    assert relationship_part(_deadline_scan(engine, local(9, 1))) == nothing
    row = stored(engine, relationship.id)
    assert row.status is S.NO_VIGENTE and row.next_notice is None and row.next_at is None
    (ended,) = emails(engine, "relacion_no_vigente")
    assert ended.recipients == [PATRON_EMAIL]
    assert ended.context["folio"] == folio and ended.context["fin_vigencia"] == "2026-06-07"
    assert len(emails(engine, "relacion_por_vencer")) == 2
    (expired,) = events(engine, "relationship.expired")
    assert (expired.actor, expired.entity_id) == ("system", relationship.id)
    assert (expired.from_state, expired.to_state) == (S.VIGENTE.value, S.NO_VIGENTE.value)


def test_after_an_outage_only_the_latest_notice_and_nothing_for_what_already_ended(
    engine: Engine, lab: Lab, patron: Patron, vendors: list[str]
) -> None:
    # Ends 07/jun: by 19/jun both reminders were overtaken by the expiry.
    overdue = vigente_relationship(engine, patron, vendors[0], months=3, at=REGISTERED)
    # Ends 20/jun: by 19/jun at noon its 15-day reminder was overtaken by the 1-day one.
    later = vigente_relationship(engine, patron, vendors[1], months=3, at=local(3, 20, 9))
    # Cancelled by the patrón, and a request never registered: nothing is owed to them.
    cancelled = vigente_relationship(engine, patron, vendors[2], months=3, at=REGISTERED)
    cancel_relationship(engine, patron, cancelled.folio)
    other = other_patron(engine, lab)
    waiting = request_relationship(engine, other, vendors[0], months=3)
    # A row that ended without its notices being cleared (written by hand): cleared, unsent.
    stale = vigente_relationship(engine, other, vendors[1], months=3, at=REGISTERED)
    with Session(engine) as session:
        row = session.get(TrustRelationship, stale.id)
        assert row is not None
        row.status = S.NO_VIGENTE
        session.add(row)
        session.commit()

    summary = _relationship_scan(engine, local(6, 19, 12))
    assert summary.reminders == [{"no_de_caso": later.folio, "dias": 1}]
    assert summary.expired == [overdue.folio]
    assert _sent(engine, "relacion_por_vencer") == [(later.folio, 1)]
    assert _sent(engine, "relacion_no_vigente") == [(overdue.folio, None)]

    summary = _relationship_scan(engine, local(6, 20))
    assert (summary.reminders, summary.expired) == ([], [later.folio])
    assert _relationship_scan(engine, local(12, 31)) == RelationshipScan()

    assert stored(engine, overdue.id).status is S.NO_VIGENTE
    assert stored(engine, later.id).status is S.NO_VIGENTE
    assert stored(engine, cancelled.id).status is S.CANCELADA
    assert stored(engine, waiting.id).status is S.EN_PROCESO
    stale_row = stored(engine, stale.id)
    assert stale_row.status is S.NO_VIGENTE and stale_row.next_at is None
    assert stale_row.next_notice is None
    assert len(emails(engine, "relacion_por_vencer")) == 1
    assert len(emails(engine, "relacion_no_vigente")) == 2
    assert len(events(engine, "relationship.expired")) == 2


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_scans_at_once_send_each_notice_once(
    engine: Engine, patron: Patron, vendors: list[str]
) -> None:
    relationships = [
        vigente_relationship(engine, patron, rfc, months=3, at=REGISTERED) for rfc in vendors
    ]
    folios = sorted(r.folio for r in relationships)

    def two_scans(at: datetime) -> list[RelationshipScan]:
        barrier, results = threading.Barrier(2), []

        def run() -> None:
            barrier.wait()
            results.append(_relationship_scan(engine, at))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(results) == 2
        return results

    for at, days in ((local(5, 23, 8), 15), (local(6, 6, 8), 1)):
        reminded = [r for summary in two_scans(at) for r in summary.reminders]
        assert sorted(str(r["no_de_caso"]) for r in reminded) == folios
        assert {r["dias"] for r in reminded} == {days}
    expired = [folio for summary in two_scans(local(6, 7, 8)) for folio in summary.expired]
    assert sorted(expired) == folios

    assert sorted(_sent(engine, "relacion_por_vencer")) == sorted(
        [(folio, days) for folio in folios for days in (15, 1)]
    )
    assert sorted(f for f, _ in _sent(engine, "relacion_no_vigente")) == folios
    assert len(events(engine, "relationship.expired")) == 3
    assert {stored(engine, r.id).status for r in relationships} == {S.NO_VIGENTE}
