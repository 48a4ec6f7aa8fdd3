"""«Adicionar relación» (workflow.relationships.requests): the form checked at «Aceptar» (a
patrón, its SIA password, the service, the vigencia, a certified vendor, no open duplicate),
the choice carried to «Validar» in a token bound to the browser session, the request signed
with the e.firma and, at «Continuar», `En proceso` with its task queued after the commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.tokens import issue_token
from schema import IntercomService, Organization, RelationshipStatus, SignaturePurpose
from tests.efirma.factory import Lab
from tests.workflow.portal.helpers import (
    NRP,
    PATRON_NAME,
    PATRON_RFC,
    P,
    generate_password,
    loaded,
    register_company,
    row_counts,
)
from tests.workflow.relationships.flows import (
    SAMA_NAME,
    SAMA_RFC,
    Patron,
    aceptar,
    cancel_certification,
    certified_vendor,
    certify,
    continuar_addition,
    events,
    other_patron,
    patron_with_password,
    register,
    registered_vendor,
    relationships,
    request_relationship,
    signature,
    validar_addition,
)
from tests.workflow.relationships.helpers import VENDOR_NAME, VENDOR_RFC, make_patron
from workflow.portal.terms import CURRENT_VERSIONS, TermsKind, terms
from workflow.refusals import (
    RelationshipReason,
    RelationshipRefused,
    SignatureReason,
    SignatureRefused,
)
from workflow.relationships.requests import (
    CHOICE_SECONDS,
    PROCESS_TASK,
    AdditionChoice,
    choice_token,
    choose,
    confirm_addition,
    read_choice,
    vendor_choices,
    vendor_not_offered,
)
from workflow.throttle import ACCOUNT_LIMIT, Throttled

R = RelationshipReason
S = RelationshipStatus
Tasks = list[tuple[str, tuple[Any, ...]]]

pytestmark = pytest.mark.usefixtures("portal_settings", "sent_tasks")


@pytest.fixture
def patron(engine: Engine, lab: Lab) -> Patron:
    return patron_with_password(engine, lab)


@pytest.fixture
def vendor_id(engine: Engine) -> int:
    return certified_vendor(engine)


def _refused(call: Callable[[], object]) -> RelationshipRefused:
    with pytest.raises(RelationshipRefused) as refused:
        call()
    return refused.value


def _processed(sent_tasks: Tasks) -> list[tuple[Any, ...]]:
    return [args for task, args in sent_tasks if task == PROCESS_TASK]


# --- «Aceptar» -----------------------------------------------------------------------------------


def test_aceptar_refuses_what_the_form_cannot_take_and_stores_nothing(
    engine: Engine, lab: Lab, vendor_id: int
) -> None:
    registered_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    cancelled = registered_vendor(engine, rfc="NCA020202CD2", name="NOMINAS CANCELADAS SA")
    cancel_certification(engine, certify(engine, cancelled))
    company = register_company(engine, lab, kind=P, rfc=PATRON_RFC, nrp=NRP, name=PATRON_NAME)
    counts = row_counts(engine)

    def refusal(patron: Patron, vendor: str = VENDOR_RFC, **form: Any) -> RelationshipRefused:
        refused = _refused(lambda: aceptar(engine, patron, vendor, **form))
        assert row_counts(engine) == counts, refused
        return refused

    # A patrón that has not generated its SIA password yet is sent to do so, whatever it chose.
    refused = refusal(Patron(company, "lo que sea"))
    assert refused.reason is R.NO_SIA_CREDENTIAL and "Generación de contraseña" in str(refused)
    patron = Patron(company, generate_password(engine, company))
    counts = row_counts(engine)

    # A desarrollador is no patrón.
    with Session(engine) as session:
        vendor = session.get(Organization, vendor_id)
        assert vendor is not None
        refused = _refused(
            lambda: choose(
                session,
                vendor,
                service="avisos",
                vendor=VENDOR_RFC,
                vigencia_months=12,
                sia_password="x",
                address="198.51.100.20",
            )
        )
    assert refused.reason is R.NOT_A_PATRON and "patrones" in str(refused)

    for service in ("", "AVISOS", "pagos"):
        refused = refusal(patron, service=service)
        assert refused.reason is R.INVALID_SERVICE and "Avisos" in str(refused)
    for months in (None, 0, 1, 12_000):
        refused = refusal(patron, months=months)
        assert refused.reason is R.INVALID_VIGENCIA
        assert "3 meses, 6 meses, 1 año, 2 años" in str(refused)
    # A prefix is no name, and a patrón (even this one) is no vendor.
    for text in ("", "   ", "XAXX010101000", "NOMINAS DEL", PATRON_RFC, PATRON_NAME):
        assert refusal(patron, text).reason is R.UNKNOWN_VENDOR, text
    assert "«XAXX010101000»" in str(refusal(patron, "XAXX010101000"))
    # A vendor that is registered but not certified, or no longer, is named.
    for text in (SAMA_RFC, SAMA_NAME.lower()):
        refused = refusal(patron, text)
        assert refused.reason is R.VENDOR_NOT_CERTIFIED
        assert f"{SAMA_NAME} ({SAMA_RFC}) no está certificado" in str(refused)
    refused = refusal(patron, "NCA020202CD2")
    assert refused.reason is R.VENDOR_NOT_CERTIFIED and "NOMINAS CANCELADAS SA" in str(refused)
    # An empty SIA password is refused without counting as a failure.
    assert refusal(patron, sia_password="").reason is R.WRONG_SIA_PASSWORD


def test_the_vendor_is_chosen_by_rfc_or_by_its_exact_razon_social_in_any_case(
    engine: Engine, patron: Patron, vendor_id: int
) -> None:
    expected = AdditionChoice(vendor_id, 12, "avisos")
    for text in (
        VENDOR_RFC,
        f"  {VENDOR_RFC.lower()} ",
        VENDOR_NAME,
        VENDOR_NAME.lower(),
        f" {VENDOR_NAME.title()}  ",
    ):
        assert aceptar(engine, patron, text) == expected, text
    assert aceptar(engine, patron, VENDOR_RFC, months=3) == AdditionChoice(vendor_id, 3, "avisos")
    # A vendor and a patrón may share an RFC: the vendor is the one chosen.
    with Session(engine) as session:
        make_patron(session, nrp="Y5412345199", rfc=VENDOR_RFC, razon_social=VENDOR_NAME)
        session.commit()
    assert aceptar(engine, patron, VENDOR_RFC) == expected
    assert aceptar(engine, patron, VENDOR_NAME) == expected


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_razon_social_with_accents_is_found_by_its_name(engine: Engine, patron: Patron) -> None:
    name = "Nóminas Ñandú y Compañía"
    vendor = certified_vendor(engine, rfc=SAMA_RFC, name=name)
    assert aceptar(engine, patron, name).vendor_id == vendor
    assert aceptar(engine, patron, name.upper()).vendor_id == vendor


def test_an_open_relationship_with_the_vendor_is_not_requested_twice(
    engine: Engine, patron: Patron, vendor_id: int
) -> None:
    waiting = request_relationship(engine, patron)
    assert waiting.id is not None
    counts = row_counts(engine)
    refusal = _refused(lambda: aceptar(engine, patron, VENDOR_RFC))
    assert refusal.reason is R.DUPLICATE
    assert waiting.folio in str(refusal) and "«En proceso»" in str(refusal)
    assert row_counts(engine) == counts
    register(engine, waiting.id)
    counts = row_counts(engine)
    refusal = _refused(lambda: aceptar(engine, patron, VENDOR_NAME))
    assert refusal.reason is R.DUPLICATE and "«Relación Vigente»" in str(refusal)
    assert waiting.folio in str(refusal)
    assert row_counts(engine) == counts


def test_a_wrong_sia_password_is_counted_until_throttled(
    engine: Engine, patron: Patron, vendor_id: int
) -> None:
    counts = row_counts(engine)
    for attempt in range(ACCOUNT_LIMIT):
        refusal = _refused(lambda: aceptar(engine, patron, VENDOR_RFC, sia_password="adivina"))
        assert refusal.reason is R.WRONG_SIA_PASSWORD
        assert "Generación de contraseña" in str(refusal)
        # The failure's count (per account and address, and per address) outlives the refused
        # request; nothing else does.
        failures = counts["sign_in_failures"] + 2 * (attempt + 1)
        assert row_counts(engine) == {**counts, "sign_in_failures": failures}
    # Throttled now, even with the right password; from another address it is checked.
    with pytest.raises(Throttled) as throttled:
        aceptar(engine, patron, VENDOR_RFC)
    assert throttled.value.seconds > 0 and "Demasiados intentos" in str(throttled.value)
    assert aceptar(engine, patron, VENDOR_RFC, address="203.0.113.9").vendor_id == vendor_id


# --- The typeahead ---------------------------------------------------------------------------


def test_the_typeahead_offers_only_certified_vendors_by_part_of_rfc_or_name(
    engine: Engine, vendor_id: int
) -> None:
    sama = certified_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    registered_vendor(engine, rfc="NSC010101AB1", name="NOMINAS SIN CERTIFICAR SA")
    cancelled = registered_vendor(engine, rfc="NCA020202CD2", name="NOMINAS CANCELADAS SA")
    cancel_certification(engine, certify(engine, cancelled))
    with Session(engine) as session:
        make_patron(session, razon_social="NOMINAS PATRONALES SA DE CV")
        session.commit()

        def offered(text: str, limit: int = 10) -> list[int | None]:
            return [vendor.id for vendor in vendor_choices(session, text, limit)]

        # Not the uncertified, the cancelled nor the patrón, though all of them match.
        assert offered("nomina") == [vendor_id]
        assert offered("cac84") == [vendor_id]
        assert offered("  0428rh ") == [vendor_id]
        assert offered("group") == [sama]
        assert offered("SA DE CV") == [vendor_id, sama]  # ordered by razón social
        assert offered("SA DE CV", limit=1) == [vendor_id]
        assert offered("") == [] and offered("   ") == []
        assert offered("nsc0101") == [] and offered("PATRONALES") == []

        # When nothing is offered, the form says why.
        sin = vendor_not_offered(session, "NSC010101AB1")
        assert sin is not None and "no está certificado" in sin and "NSC010101AB1" in sin
        nobody = vendor_not_offered(session, "zzz")
        assert nobody is not None and "Ningún desarrollador certificado" in nobody
        assert vendor_not_offered(session, "  ") is None


# --- The choice's token --------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_choice_token_is_read_back_only_by_its_session_for_15_minutes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    choice = AdditionChoice(41, 6, "avisos")
    token = choice_token(choice, "sesion-7")
    assert read_choice(token, "sesion-7") == choice

    def full(**payload: Any) -> str:
        fields = {"vendor_id": 41, "vigencia_months": 6, "service": "avisos", "sesion": "sesion-7"}
        return issue_token("relacion", {**fields, **payload})

    assert read_choice(full(), "sesion-7") == choice
    # A character inside the signature: the last one also carries base64's padding bits, and
    # changing only those (B, C or D for A) leaves the signature as it was.
    inner = token[-5]
    tampered = token[:-5] + ("A" if inner != "A" else "B") + token[-4:]
    gone = [
        (token, "sesion-8"),  # another browser session
        (tampered, "sesion-7"),
        ("x" * 2000, "sesion-7"),
        ("", "sesion-7"),
        (issue_token("otro", {"vendor_id": 41, "sesion": "sesion-7"}), "sesion-7"),
        (issue_token("relacion", {"vendor_id": 41, "sesion": "sesion-7"}), "sesion-7"),
        (full(vendor_id="x"), "sesion-7"),
        (full(sesion="sesion-8"), "sesion-7"),
    ]
    for text, session_id in gone:
        refusal = _refused(lambda: read_choice(text, session_id))  # noqa: B023
        assert refusal.reason is R.CHOICE_GONE and "15 minutos" in str(refusal)

    # It lasts 15 minutes.
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) + CHOICE_SECONDS - 5
    )
    assert read_choice(token, "sesion-7") == choice
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) + CHOICE_SECONDS + 5
    )
    assert _refused(lambda: read_choice(token, "sesion-7")).reason is R.CHOICE_GONE


# --- «Validar» and «Continuar» ---------------------------------------------------------------


def test_validar_then_continuar_make_one_request_en_proceso_queued_after_commit(
    engine: Engine, patron: Patron, vendor_id: int, sent_tasks: Tasks
) -> None:
    choice = aceptar(engine, patron, VENDOR_RFC, months=6)
    waiting = validar_addition(engine, patron, choice)
    signed = signature(engine, waiting.row.id)
    assert signed.purpose is SignaturePurpose.ADICIONAR_RELACION and signed.used_at is None
    assert signed.subject == {"vendor_id": vendor_id, "vigencia_months": 6, "service": "avisos"}
    fields = signed.cadena.strip("|").split("|")
    assert fields[0] == "ALTA DE RELACION DE CONFIANZA SIA" and fields[1] == signed.folio
    for value in (
        PATRON_RFC,
        NRP,
        PATRON_NAME,
        VENDOR_RFC,
        VENDOR_NAME,
        "Avisos",
        "VIGENCIA 6 MESES",
        f"TERMINOS {CURRENT_VERSIONS[TermsKind.RELACIONES]}",
        terms(TermsKind.RELACIONES).sha256,
        signed.certificate_number,
    ):
        assert value in fields, value
    assert relationships(engine) == []  # not before «Continuar»

    with Session(engine, expire_on_commit=False) as session:
        account, organization = loaded(session, patron.company)
        relationship = confirm_addition(session, account, organization, waiting.token)
        assert _processed(sent_tasks) == []  # not before the commit
        session.commit()
    assert relationship.id is not None
    assert _processed(sent_tasks) == [(relationship.id,)]

    (row,) = relationships(engine)
    assert row.id == relationship.id and row.status is S.EN_PROCESO
    assert row.folio == signed.folio and row.signature_id == signed.id
    assert (row.patron_id, row.vendor_id) == (patron.company.organization_id, vendor_id)
    assert row.service is IntercomService.AVISOS and row.vigencia_months == 6
    assert row.requested_by == patron.company.account_id
    assert row.requested_at == signed.signed_at
    assert row.starts_on is None and row.ends_on is None and row.acuse_id is None
    assert row.next_notice is None and row.next_at is None
    assert signature(engine, waiting.row.id).used_at is not None

    request_signed, requested = events(
        engine, "relationship.request_signed", "relationship.requested"
    )
    actor = f"cuenta:{patron.company.account_id}"
    assert (request_signed.actor, request_signed.entity_type) == (actor, "organization")
    assert request_signed.entity_id == patron.company.organization_id
    assert request_signed.data["folio"] == signed.folio
    assert request_signed.data["vendor_rfc"] == VENDOR_RFC
    assert request_signed.data["months"] == 6
    assert request_signed.data["terms"] == CURRENT_VERSIONS[TermsKind.RELACIONES]
    assert (requested.actor, requested.entity_type) == (actor, "trust_relationship")
    assert requested.entity_id == relationship.id
    assert (requested.from_state, requested.to_state) == (None, S.EN_PROCESO.value)
    assert requested.data == {
        "folio": signed.folio,
        "patron_nrp": NRP,
        "vendor_rfc": VENDOR_RFC,
        "months": 6,
    }

    # The signature is taken once: a second «Continuar» (a double submit) changes nothing.
    counts = row_counts(engine)
    with pytest.raises(SignatureRefused) as refused:
        continuar_addition(engine, patron, waiting.token)
    assert refused.value.reason is SignatureReason.GONE
    assert row_counts(engine) == counts
    assert _processed(sent_tasks) == [(relationship.id,)]


def test_of_two_tabs_validated_before_either_continued_only_the_first_requests(
    engine: Engine, patron: Patron, vendor_id: int, sent_tasks: Tasks
) -> None:
    choice = aceptar(engine, patron, VENDOR_RFC)
    first = validar_addition(engine, patron, choice)
    second = validar_addition(engine, patron, choice)
    done = continuar_addition(engine, patron, first.token)
    counts = row_counts(engine)
    refusal = _refused(lambda: continuar_addition(engine, patron, second.token))
    assert refusal.reason is R.DUPLICATE and done.folio in str(refusal)
    assert row_counts(engine) == counts
    assert signature(engine, second.row.id).used_at is None
    # Validating once more is refused as well, before anything is signed.
    assert _refused(lambda: validar_addition(engine, patron, choice)).reason is R.DUPLICATE
    assert row_counts(engine) == counts
    # Another vendor is another relationship.
    sama = certified_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    other = request_relationship(engine, patron, SAMA_NAME, months=24)
    rows = relationships(engine)
    assert [(r.id, r.vendor_id, r.vigencia_months) for r in rows] == [
        (done.id, vendor_id, 12),
        (other.id, sama, 24),
    ]
    assert done.folio != other.folio and len(done.folio) == len(other.folio) == 10
    assert _processed(sent_tasks) == [(done.id,), (other.id,)]
    assert len(events(engine, "relationship.requested")) == 2


def test_a_signature_serves_only_its_patron_and_only_a_certified_vendor(
    engine: Engine, lab: Lab, patron: Patron, sent_tasks: Tasks
) -> None:
    vendor = registered_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    certification = certify(engine, vendor)
    choice = aceptar(engine, patron, SAMA_RFC)
    waiting = validar_addition(engine, patron, choice)

    other = other_patron(engine, lab)
    counts = row_counts(engine)
    with pytest.raises(SignatureRefused) as refused:
        continuar_addition(engine, other, waiting.token)
    assert refused.value.reason is SignatureReason.GONE
    assert row_counts(engine) == counts

    # The vendor stops being certified between «Aceptar» and «Validar», or before «Continuar».
    cancel_certification(engine, certification)
    counts = row_counts(engine)
    for step in (
        lambda: validar_addition(engine, patron, choice),
        lambda: continuar_addition(engine, patron, waiting.token),
    ):
        refusal = _refused(step)
        assert refusal.reason is R.VENDOR_NOT_CERTIFIED
        assert "ya no está certificado" in str(refusal)
    assert row_counts(engine) == counts
    assert signature(engine, waiting.row.id).used_at is None
    assert relationships(engine) == [] and _processed(sent_tasks) == []
