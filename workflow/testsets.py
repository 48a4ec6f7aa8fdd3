"""Store a round's generated test set and answer the sandbox's questions about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from core.keys import avisos_keypair
from core.security import hash_password
from core.tokens import new_password
from rules.signing import sign_document
from rules.testsets.generate import generate_test_set, new_seed
from schema import Certification, CertificationState, Organization, TestSet
from workflow.credentials import password_matches
from workflow.folios import issue_folio
from workflow.throttle import Attempt, Door
from workflow.vendors import authenticate_vendor, normalize_rfc

S = CertificationState
# Rounds whose sandbox still answers: the vendor may query again while its round is reviewed.
SANDBOX_STATES = frozenset(
    {S.EN_ESPERA_DE_DOCUMENTOS, S.EN_ANALISIS, S.CON_INCONSISTENCIAS, S.APROBADA_PENDIENTE_DE_FIRMA}
)


@dataclass(frozen=True)
class IssuedTestSet:
    test_set: TestSet
    patron_password: str  # only here, to be emailed; the row keeps its hash


def create_test_set(
    session: Session, certification: Certification, vendor: Organization, round: int, now: datetime
) -> IssuedTestSet:
    """Generate and store the test set of ``round`` (a fresh seed every time).

    The document carries the certification's folio, the one the vendor types everywhere; the
    test set's own folio identifies the row in the back office only.
    """
    assert certification.id is not None
    private_key, _ = avisos_keypair()
    seed = new_seed()
    folio = issue_folio(session, "set_de_pruebas")
    generated = generate_test_set(
        seed=seed,
        vendor_rfc=vendor.rfc,
        folio=certification.folio,
        round=round,
        emitido=now,
        private_key=private_key,
    )
    password = new_password()
    row = TestSet(
        certification_id=certification.id,
        round=round,
        folio=folio,
        seed=seed,
        emitted_at=now,
        patron_rfc=generated.patron.rfc,
        patron_nrp=generated.patron.nrp,
        sandbox_password_hash=hash_password(password),
        document=generated.test_set,
        answers=generated.answers,
        avisos_responses=list(generated.avisos),
    )
    session.add(row)
    session.flush()
    return IssuedTestSet(row, password)


def sandbox_attempt(rfc: str, nrp: str, address: str) -> Attempt:
    """A sandbox sign-in, for throttling: both names as authenticate_sandbox reads them."""
    return Attempt(Door.SANDBOX, f"{normalize_rfc(rfc)}:{nrp.strip().upper()}", address)


def authenticate_sandbox(
    session: Session, *, rfc: str, password: str, nrp: str, patron_password: str
) -> TestSet | None:
    """Both credential pairs at once (DOMAIN §2.4); None unless both are right."""
    vendor = authenticate_vendor(session, rfc, password)
    if vendor is None:
        return None
    candidates = session.exec(
        select(TestSet)
        .join(Certification, col(Certification.id) == TestSet.certification_id)
        .where(
            TestSet.patron_nrp == nrp.strip().upper(),
            col(Certification.state).in_(SANDBOX_STATES),
            Certification.round == TestSet.round,
        )
    ).all()
    for test_set in candidates:
        if password_matches(session, patron_password, test_set.sandbox_password_hash):
            certification = session.get(Certification, test_set.certification_id)
            if certification is not None:
                return test_set if certification.vendor_id == vendor.id else None
    return None


def sandbox_vendor(session: Session, test_set: TestSet) -> Organization:
    """The vendor whose certification the test set belongs to."""
    vendor = session.exec(
        select(Organization)
        .join(Certification, col(Certification.vendor_id) == Organization.id)
        .where(Certification.id == test_set.certification_id)
    ).one()
    return vendor


def avisos_response(
    session: Session, test_set: TestSet, desde: date | None, hasta: date | None
) -> dict[str, Any]:
    """The signed response for a query window.

    The whole window is the stored response as generated; a narrower one is a new response
    holding the avisos dated inside it, signed now with its own folioConsulta.
    """
    full = test_set.avisos_responses[0]
    full_desde, full_hasta = date.fromisoformat(full["desde"]), date.fromisoformat(full["hasta"])
    desde, hasta = desde or full_desde, hasta or full_hasta
    if desde <= full_desde and hasta >= full_hasta:
        return full
    private_key, _ = avisos_keypair()
    narrowed = {key: value for key, value in full.items() if key != "firma"}
    narrowed.update(
        folioConsulta=issue_folio(session, "consulta_avisos"),
        desde=desde.isoformat(),
        hasta=hasta.isoformat(),
        avisos=[a for a in full["avisos"] if desde <= date.fromisoformat(a["fechaAviso"]) <= hasta],
    )
    return sign_document(narrowed, private_key)
