"""The end of a relationship before its time (workflow.relationships.cancellation): «Borrar» by
the patrón, signed with its e.firma, only for its own vigente relationships, once; and the loss
of effect of every vigente relationship of a vendor whose certification is cancelled, in the
same transaction as that cancellation."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import travel_to
from rules.calendar import MEXICO_CITY
from schema import Certification, CertificationState, DocumentKind, RelationshipStatus
from tests.efirma.factory import Lab
from tests.workflow.portal.helpers import (
    NRP,
    PATRON_RFC,
    continuar,
    emails,
    register_company,
    row_counts,
    validar,
)
from tests.workflow.relationships.flows import (
    OTHER_PATRON_EMAIL,
    PATRON_EMAIL,
    SAMA_NAME,
    SAMA_RFC,
    Patron,
    aceptar,
    attached_acuse,
    cancel_relationship,
    certified_vendor,
    certify,
    check_acuse,
    documents,
    events,
    other_patron,
    patron_with_password,
    pdf_text,
    request_relationship,
    signature,
    stored,
    submit,
    vigente_relationship,
)
from tests.workflow.relationships.helpers import VENDOR_NAME, VENDOR_RFC
from workflow.acuses import acuse_bytes
from workflow.portal import certification as portal_certification
from workflow.refusals import (
    RelationshipReason,
    RelationshipRefused,
    SignatureReason,
    SignatureRefused,
)
from workflow.relationships import processing
from workflow.relationships.cancellation import VOIDED, confirm_cancellation, sign_cancellation
from workflow.relationships.processing import process_request
from workflow.relationships.requests import is_certified

R = RelationshipReason
S = RelationshipStatus
REGISTERED_AT = datetime(2026, 3, 7, 10, 0, tzinfo=MEXICO_CITY)

pytestmark = pytest.mark.usefixtures("portal_settings", "sent_tasks")


@pytest.fixture
def patron(engine: Engine, lab: Lab) -> Patron:
    return patron_with_password(engine, lab)


@pytest.fixture
def vendor_id(engine: Engine) -> int:
    return certified_vendor(engine)


def _refused_validar(engine: Engine, patron: Patron, folio: str) -> RelationshipRefused:
    counts = row_counts(engine)
    with pytest.raises(RelationshipRefused) as refused:
        validar(engine, patron.company, sign_cancellation, folio=folio)
    assert row_counts(engine) == counts
    return refused.value


def test_borrar_cancels_a_vigente_relationship_today_with_its_signed_acuse(
    engine: Engine, patron: Patron, vendor_id: int
) -> None:
    relationship = vigente_relationship(engine, patron, at=REGISTERED_AT)
    # 23:30 of 10/may in Mexico City, already 11/may in UTC.
    moment = datetime(2026, 5, 10, 23, 30, tzinfo=MEXICO_CITY)
    with travel_to(moment):
        waiting = validar(engine, patron.company, sign_cancellation, folio=relationship.folio)
        assert stored(engine, relationship.id).status is S.VIGENTE  # not before «Continuar»
        done = submit(engine, patron.company, confirm_cancellation, waiting.token)

    row = stored(engine, relationship.id)
    assert done.relationship.id == row.id
    assert row.status is S.CANCELADA and row.cancelled_on == date(2026, 5, 10)
    assert (row.starts_on, row.ends_on) == (date(2026, 3, 7), date(2027, 3, 7))
    assert row.acuse_id == relationship.acuse_id  # the registration's acuse stays
    assert row.next_notice is None and row.next_at is None  # nothing more is owed to it

    (document,) = documents(engine, DocumentKind.ACUSE_CANCELACION_RELACION)
    assert document.id == row.cancellation_acuse_id == done.acuse.document.id
    assert document.organization_id == patron.company.organization_id
    assert document.signer_rfc == PATRON_RFC
    fields = check_acuse(document, signature(engine, waiting.row.id))
    assert fields[0] == "CANCELACION DE RELACION DE CONFIANZA SIA"
    assert fields[1] == waiting.row.folio != row.folio
    for value in (row.folio, PATRON_RFC, NRP, VENDOR_RFC, VENDOR_NAME):
        assert value in fields
    shown = pdf_text(acuse_bytes(document))
    for value in (waiting.row.folio, row.folio, VENDOR_RFC, "Avisos"):
        assert value in shown

    (email,) = emails(engine, "relacion_cancelada")
    assert email.recipients == [PATRON_EMAIL]
    assert email.context["folio"] == row.folio
    assert email.context["desarrollador_rfc"] == VENDOR_RFC
    assert datetime.fromisoformat(email.context["cancelada"]) == moment
    attached_acuse(email, document, f"acuse-cancelacion-{waiting.row.folio}.pdf")

    signed, cancelled = events(engine, "relationship.cancellation_signed", "relationship.cancelled")
    actor = f"cuenta:{patron.company.account_id}"
    assert signed.actor == actor and signed.data["relationship"] == row.folio
    assert (cancelled.actor, cancelled.entity_id) == (actor, row.id)
    assert (cancelled.from_state, cancelled.to_state) == (S.VIGENTE.value, S.CANCELADA.value)

    # A double submit of «Continuar» cancels once.
    counts = row_counts(engine)
    with pytest.raises(SignatureRefused) as refused:
        submit(engine, patron.company, confirm_cancellation, waiting.token)
    assert refused.value.reason is SignatureReason.GONE
    assert row_counts(engine) == counts
    # Cancelled, it is not cancelled again; and the patrón may trust the vendor anew.
    refusal = _refused_validar(engine, patron, row.folio)
    assert refusal.reason is R.NOT_CANCELLABLE and "«Relación cancelada por usuario»" in str(
        refusal
    )
    assert aceptar(engine, patron, VENDOR_RFC).vendor_id == vendor_id


def test_only_the_patrons_own_vigente_relationships_are_cancelled_and_only_once(
    engine: Engine, lab: Lab, patron: Patron, vendor_id: int
) -> None:
    other = other_patron(engine, lab)
    others = vigente_relationship(engine, other)
    certified_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    waiting_one = request_relationship(engine, patron, SAMA_RFC)
    mine = vigente_relationship(engine, patron)

    for folio in (others.folio, "0000000000", "x" * 300):
        refusal = _refused_validar(engine, patron, folio)
        assert refusal.reason is R.NO_SUCH_RELATIONSHIP and folio[:20] in str(refusal)
    refusal = _refused_validar(engine, patron, waiting_one.folio)
    assert refusal.reason is R.NOT_CANCELLABLE and "«En proceso»" in str(refusal)

    # Two tabs validated before either continued: the first cancels, the second is refused.
    first = validar(engine, patron.company, sign_cancellation, folio=mine.folio)
    second = validar(engine, patron.company, sign_cancellation, folio=mine.folio)
    submit(engine, patron.company, confirm_cancellation, first.token)
    counts = row_counts(engine)
    with pytest.raises(RelationshipRefused) as refused:
        submit(engine, patron.company, confirm_cancellation, second.token)
    assert refused.value.reason is R.NOT_CANCELLABLE
    assert row_counts(engine) == counts
    assert signature(engine, second.row.id).used_at is None
    assert len(documents(engine, DocumentKind.ACUSE_CANCELACION_RELACION)) == 1
    assert len(emails(engine, "relacion_cancelada")) == 1
    assert len(events(engine, "relationship.cancelled")) == 1
    assert stored(engine, others.id).status is S.VIGENTE
    assert stored(engine, waiting_one.id).status is S.EN_PROCESO


def test_cancelling_the_vendors_certification_voids_its_vigente_relationships_at_once(
    engine: Engine, lab: Lab, patron: Patron, monkeypatch: pytest.MonkeyPatch
) -> None:
    vendor = register_company(engine, lab)  # the desarrollador of the portal (VENDOR_RFC)
    certification_id = certify(engine, vendor.organization_id)
    certified_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    other = other_patron(engine, lab)
    mine = vigente_relationship(engine, patron)
    theirs = vigente_relationship(engine, other)
    elsewhere = vigente_relationship(engine, patron, SAMA_RFC)
    assert {mine.vendor_id, theirs.vendor_id} == {vendor.organization_id}

    # The vendor's cancellation and the loss of effect are one transaction: when the rest of
    # the cancellation fails, the relationships stay vigente.
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("el almacenamiento de acuses no responde")

    monkeypatch.setattr(portal_certification, "issue_signed_acuse", broken)
    waiting = validar(engine, vendor, portal_certification.sign_cancellation)
    with pytest.raises(RuntimeError):
        continuar(engine, vendor, portal_certification.confirm_cancellation, waiting.token)
    assert {stored(engine, r.id).status for r in (mine, theirs, elsewhere)} == {S.VIGENTE}
    assert emails(engine, "relacion_sin_efecto") == []
    assert events(engine, "relationship.voided") == []
    monkeypatch.undo()

    moment = datetime(2026, 6, 1, 12, 0, tzinfo=MEXICO_CITY)
    with travel_to(moment):
        continuar(engine, vendor, portal_certification.confirm_cancellation, waiting.token)
    with Session(engine) as session:
        certification = session.get(Certification, certification_id)
        assert certification is not None and certification.state is CertificationState.CANCELADA

    for relationship in (mine, theirs):
        row = stored(engine, relationship.id)
        assert row.status is S.SIN_EFECTO and row.status_reason == VOIDED
        assert row.next_notice is None and row.next_at is None and row.cancelled_on is None
    assert stored(engine, elsewhere.id).status is S.VIGENTE  # another vendor's: untouched

    voided = emails(engine, "relacion_sin_efecto")
    assert sorted(email.recipients[0] for email in voided) == sorted(
        [PATRON_EMAIL, OTHER_PATRON_EMAIL]
    )
    assert {email.context["folio"] for email in voided} == {mine.folio, theirs.folio}
    for email in voided:
        assert email.context["desarrollador_rfc"] == VENDOR_RFC and email.attachments == []
        assert datetime.fromisoformat(email.context["fecha"]) == moment
    events_voided = events(engine, "relationship.voided")
    assert {e.entity_id for e in events_voided} == {mine.id, theirs.id}
    for event in events_voided:
        assert event.actor == f"cuenta:{vendor.account_id}" and event.reason == VOIDED
        assert (event.from_state, event.to_state) == (S.VIGENTE.value, S.SIN_EFECTO.value)
    # Without effect, it is not the patrón's to cancel any more.
    assert _refused_validar(engine, patron, mine.folio).reason is R.NOT_CANCELLABLE
    cancelled = cancel_relationship(engine, patron, elsewhere.folio)
    assert cancelled.relationship.status is S.CANCELADA


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_certification_cancelled_while_a_request_is_being_registered_leaves_none_vigente(
    engine: Engine, lab: Lab, patron: Patron, monkeypatch: pytest.MonkeyPatch
) -> None:
    vendor = register_company(engine, lab)
    certify(engine, vendor.organization_id)
    requested = request_relationship(engine, patron)
    assert requested.id is not None
    relationship_id = requested.id

    # The worker has checked the certification (still `Certificada`) and goes on …
    checked, go_on = threading.Event(), threading.Event()

    def checks_then_waits(session: Session, vendor_id: int, **kwargs: bool) -> bool:
        certified = is_certified(session, vendor_id, **kwargs)
        checked.set()
        assert go_on.wait(30)
        return certified

    monkeypatch.setattr(processing, "is_certified", checks_then_waits)
    outcome: list[str | None] = []

    def worker() -> None:
        with Session(engine, expire_on_commit=False) as session:
            done = process_request(session, relationship_id)
            session.commit()
            outcome.append(None if done is None else done.status.value)

    def cancels() -> None:
        waiting = validar(engine, vendor, portal_certification.sign_cancellation)
        continuar(engine, vendor, portal_certification.confirm_cancellation, waiting.token)
        cancelled.set()

    cancelled = threading.Event()
    thread = threading.Thread(target=worker)
    thread.start()
    canceller = threading.Thread(target=cancels)
    try:
        assert checked.wait(30)
        # … while the vendor cancels its certification: the worker's check holds the
        # certification, so the cancellation waits for the registration and then voids it.
        canceller.start()
        assert not cancelled.wait(1.5)
    finally:
        go_on.set()
        thread.join(30)
        if canceller.is_alive() or canceller.ident is not None:
            canceller.join(30)
    assert cancelled.is_set()
    assert len(outcome) == 1
    # A vendor no longer certified must not be left trusted.
    assert stored(engine, relationship_id).status is not S.VIGENTE
