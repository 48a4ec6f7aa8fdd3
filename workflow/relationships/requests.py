"""«Adicionar relación», as the relationships guide shows it: the form (service, the vendor chosen
among the certified ones, the vigencia, the patrón's SIA password) → «Aceptar» → e.firma →
«Validar» → «Registro de Relaciones de Confianza» (fecha, hora, folio, RFC, razón social) →
«Continuar». The request is then `En proceso` until a worker registers it
(``workflow.relationships.processing``).

What the form chose travels from «Aceptar» to «Validar» in a token signed with the deployment's
secret and bound to the browser session (``choice_token``), never the SIA password: it is checked
once, at «Aceptar», throttled like any password.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from core.config import get_settings
from core.enqueue import enqueue_after_commit
from core.tokens import TokenError, issue_token, read_token
from rules.vigencia import VIGENCIAS
from schema import (
    OPEN_STATUSES,
    Certification,
    CertificationState,
    CompanyAccount,
    IntercomService,
    Organization,
    OrganizationKind,
    RelationshipStatus,
    SignaturePurpose,
    TrustRelationship,
)
from workflow.acuses import cadena_original
from workflow.audit import record_event
from workflow.credentials import password_matches
from workflow.portal.accounts import locked_organization
from workflow.portal.signatures import WaitingSignature, actor_of, sign_for_later, take_signature
from workflow.portal.terms import TermsKind, terms
from workflow.refusals import RelationshipReason, RelationshipRefused
from workflow.throttle import Attempt, Door, throttled
from workflow.vendors import normalize_rfc

R = RelationshipReason
PROCESS_TASK = "sia.relationships.process"
# «Aceptar» to «Validar»: the time to find the e.firma files, as long as a waiting signature.
CHOICE_SECONDS = 15 * 60
TYPEAHEAD_LIMIT = 10


def _refuse(reason: RelationshipReason, message: str) -> RelationshipRefused:
    return RelationshipRefused(reason, message)


def require_patron(organization: Organization) -> None:
    if organization.kind is not OrganizationKind.PATRON:
        raise _refuse(R.NOT_A_PATRON, "Las relaciones de confianza son un trámite de los patrones.")


def is_certified(session: Session, vendor_id: int, *, lock: bool = False) -> bool:
    """Whether the vendor is `Certificada`; with ``lock``, its certification row is held (FOR
    SHARE) until the caller commits, so a cancellation waits for what the caller registers and
    then voids it, or commits first and is seen here."""
    query = select(Certification.id).where(
        Certification.vendor_id == vendor_id,
        Certification.state == CertificationState.CERTIFICADA,
    )
    if lock:
        query = query.with_for_update(read=True)
    return session.exec(query).first() is not None


def vendor_choices(session: Session, text: str, limit: int = TYPEAHEAD_LIMIT) -> list[Organization]:
    """The certified vendors whose RFC or razón social contains ``text`` (the form's typeahead);
    a vendor that is not certified is never offered."""
    needle = text.strip().upper()
    if not needle:
        return []
    # LIKE's own characters are not searched for: no RFC or razón social needs them.
    cleaned = needle.replace("\\", "").replace("%", "").replace("_", "")
    pattern = f"%{cleaned}%"
    return list(
        session.exec(
            select(Organization)
            .where(
                Organization.kind == OrganizationKind.DESARROLLADOR,
                or_(
                    func.upper(Organization.rfc).like(pattern),
                    func.upper(Organization.razon_social).like(pattern),
                ),
                select(Certification.id)
                .where(
                    Certification.vendor_id == Organization.id,
                    Certification.state == CertificationState.CERTIFICADA,
                )
                .exists(),
            )
            .order_by(col(Organization.razon_social), col(Organization.id))
            .limit(limit)
        ).all()
    )


def _find_vendor(session: Session, text: str) -> Organization:
    """The vendor the form names, by RFC or by its exact razón social."""
    wanted = text.strip()
    if not wanted:
        raise _refuse(
            R.UNKNOWN_VENDOR,
            "Escriba el RFC o el nombre del desarrollador y elíjalo de la lista de "
            "desarrolladores certificados.",
        )
    vendors = session.exec(
        select(Organization)
        .where(
            Organization.kind == OrganizationKind.DESARROLLADOR,
            or_(
                Organization.rfc == normalize_rfc(wanted),
                func.upper(Organization.razon_social) == wanted.upper(),
            ),
        )
        .order_by(col(Organization.id))
        .limit(2)
    ).all()
    if not vendors:
        raise _refuse(
            R.UNKNOWN_VENDOR,
            f"No hay un desarrollador con el RFC o nombre «{wanted[:60]}». Elíjalo de la lista "
            "de desarrolladores certificados.",
        )
    certified = [v for v in vendors if v.id is not None and is_certified(session, v.id)]
    if not certified:
        vendor = vendors[0]
        raise _refuse(
            R.VENDOR_NOT_CERTIFIED,
            f"El desarrollador {vendor.razon_social} ({vendor.rfc}) no está certificado por el "
            "Infonavit; por eso no aparece en la lista. Sólo puede crear relaciones de confianza "
            "con desarrolladores certificados.",
        )
    return certified[0]


def vendor_not_offered(session: Session, text: str) -> str | None:
    """Why the typeahead offers nothing for ``text``: a vendor that exists but is not certified
    is named with the reason; otherwise, that no certified vendor matches."""
    if not text.strip():
        return None
    try:
        _find_vendor(session, text)
    except RelationshipRefused as exc:
        if exc.reason is R.VENDOR_NOT_CERTIFIED:
            return str(exc)
    return f"Ningún desarrollador certificado coincide con «{text.strip()[:60]}»."


def open_relationship_with(
    session: Session, patron: Organization, vendor: Organization, service: IntercomService
) -> TrustRelationship | None:
    return session.exec(
        select(TrustRelationship).where(
            TrustRelationship.patron_id == patron.id,
            TrustRelationship.vendor_id == vendor.id,
            TrustRelationship.service == service,
            col(TrustRelationship.status).in_(OPEN_STATUSES),
        )
    ).first()


def _duplicate(existing: TrustRelationship, vendor: Organization) -> RelationshipRefused:
    return _refuse(
        R.DUPLICATE,
        f"Ya tiene una relación de confianza con {vendor.razon_social} ({vendor.rfc}) en "
        f"«{existing.status.label}» (No. de Caso {existing.folio}); no puede registrar otra "
        "mientras esa siga vigente.",
    )


def _no_duplicate(
    session: Session, patron: Organization, vendor: Organization, service: IntercomService
) -> None:
    existing = open_relationship_with(session, patron, vendor, service)
    if existing is not None:
        raise _duplicate(existing, vendor)


def _has_sia_password(organization: Organization) -> None:
    if organization.sia_password_hash is None:
        raise _refuse(
            R.NO_SIA_CREDENTIAL,
            "Antes de adicionar una relación, genere la contraseña de su empresa en la pestaña "
            "«Generación de contraseña».",
        )


@dataclass(frozen=True)
class AdditionChoice:
    """What «Adicionar relación» chose: checked at «Aceptar», carried to «Validar»."""

    vendor_id: int
    vigencia_months: int
    service: str


def sia_password_attempt(organization: Organization, address: str) -> Attempt:
    """The SIA password of a patrón (or a vendor) tried in the portal's forms."""
    return Attempt(Door.PORTAL, f"sia:{organization.nrp or organization.rfc}", address)


def choose(
    session: Session,
    patron: Organization,
    *,
    service: str,
    vendor: str,
    vigencia_months: int | None,
    sia_password: str,
    address: str,
) -> AdditionChoice:
    """«Aceptar»: the form checked, the SIA password last (it is the costly, throttled part);
    RelationshipRefused or Throttled otherwise. Commits only the count of a wrong password."""
    require_patron(patron)
    _has_sia_password(patron)
    if service not in {s.value for s in IntercomService}:
        raise _refuse(R.INVALID_SERVICE, "Seleccione el Servicio de Intercomunicación: Avisos.")
    if vigencia_months not in VIGENCIAS:
        raise _refuse(
            R.INVALID_VIGENCIA,
            "Seleccione la vigencia de la relación: " + ", ".join(VIGENCIAS.values()) + ".",
        )
    chosen = _find_vendor(session, vendor)
    _no_duplicate(session, patron, chosen, IntercomService(service))
    if not sia_password:
        raise _refuse(
            R.WRONG_SIA_PASSWORD,
            "Escriba la contraseña de los Servicios de Intercomunicación de su empresa.",
        )
    stored = patron.sia_password_hash
    matched = throttled(
        session,
        sia_password_attempt(patron, address),
        lambda: True if password_matches(session, sia_password, stored) else None,
    )
    if not matched:
        raise _refuse(
            R.WRONG_SIA_PASSWORD,
            "La contraseña de los Servicios de Intercomunicación no es correcta. Es la que "
            "generó en la pestaña «Generación de contraseña».",
        )
    assert chosen.id is not None
    return AdditionChoice(chosen.id, vigencia_months, service)


def choice_token(choice: AdditionChoice, session_id: str) -> str:
    return issue_token("relacion", {**asdict(choice), "sesion": session_id})


def read_choice(token: str, session_id: str) -> AdditionChoice:
    """The choice behind ``token`` for this browser session; CHOICE_GONE when it expired, was
    tampered with or belongs to another session."""
    gone = _refuse(
        R.CHOICE_GONE,
        "Los datos de la relación ya no son válidos (duran 15 minutos). Capture de nuevo la "
        "relación con «Adicionar relación».",
    )
    try:
        payload = read_token("relacion", token[:1000], CHOICE_SECONDS)
    except TokenError:
        raise gone from None
    try:
        choice = AdditionChoice(
            int(payload["vendor_id"]), int(payload["vigencia_months"]), str(payload["service"])
        )
        ours = str(payload["sesion"]) == session_id
    except (KeyError, TypeError, ValueError):
        raise gone from None
    if not ours:
        raise gone
    return choice


def _chosen_vendor(session: Session, choice: AdditionChoice) -> Organization:
    vendor = session.get(Organization, choice.vendor_id)
    if vendor is None or not is_certified(session, choice.vendor_id):
        raise _refuse(
            R.VENDOR_NOT_CERTIFIED,
            "El desarrollador que eligió ya no está certificado por el Infonavit; no puede crear "
            "la relación de confianza.",
        )
    return vendor


def _local(moment: datetime) -> str:
    return moment.astimezone(get_settings().tz).isoformat(timespec="seconds")


def sign_addition(
    session: Session,
    account: CompanyAccount,
    patron: Organization,
    choice: AdditionChoice,
    *,
    cer: bytes,
    key: bytes,
    efirma_password: str,
    address: str,
) -> WaitingSignature:
    """«Validar»: the request's cadena signed with the patrón's e.firma; it waits for
    «Continuar» on the registration screen."""
    require_patron(patron)
    vendor = _chosen_vendor(session, choice)
    service = IntercomService(choice.service)
    _no_duplicate(session, patron, vendor, service)
    current = terms(TermsKind.RELACIONES)
    return sign_for_later(
        session,
        account,
        patron,
        purpose=SignaturePurpose.ADICIONAR_RELACION,
        audit=(
            "relationship.request_signed",
            {"vendor_rfc": vendor.rfc, "months": choice.vigencia_months, "terms": current.version},
        ),
        cadena_of=lambda folio, now, number: cadena_original(
            [
                "ALTA DE RELACION DE CONFIANZA SIA",
                folio,
                _local(now),
                patron.rfc,
                patron.nrp or "",
                patron.razon_social,
                number,
                vendor.rfc,
                vendor.razon_social,
                service.label,
                f"VIGENCIA {choice.vigencia_months} MESES",
                f"TERMINOS {current.version}",
                current.sha256,
            ]
        ),
        cer=cer,
        key=key,
        efirma_password=efirma_password,
        address=address,
        subject=asdict(choice),
    )


def confirm_addition(
    session: Session, account: CompanyAccount, patron: Organization, token: str
) -> TrustRelationship:
    """«Continuar»: the request is `En proceso` and a worker registers it after the commit."""
    patron = locked_organization(session, patron)
    waiting = take_signature(session, account, SignaturePurpose.ADICIONAR_RELACION, token)
    subject = waiting.subject or {}
    choice = AdditionChoice(
        int(subject["vendor_id"]), int(subject["vigencia_months"]), str(subject["service"])
    )
    vendor = _chosen_vendor(session, choice)
    service = IntercomService(choice.service)
    _no_duplicate(session, patron, vendor, service)
    assert patron.id is not None and vendor.id is not None and account.id is not None
    assert waiting.id is not None
    relationship = TrustRelationship(
        folio=waiting.folio,
        patron_id=patron.id,
        vendor_id=vendor.id,
        service=service,
        vigencia_months=choice.vigencia_months,
        status=RelationshipStatus.EN_PROCESO,
        requested_at=waiting.signed_at,
        requested_by=account.id,
        signature_id=waiting.id,
    )
    try:
        with session.begin_nested():
            session.add(relationship)
    except IntegrityError:
        # The partial unique index: another request got in first, past every lock.
        existing = open_relationship_with(session, patron, vendor, service)
        assert existing is not None
        raise _duplicate(existing, vendor) from None
    assert relationship.id is not None
    record_event(
        session,
        actor=actor_of(account),
        action="relationship.requested",
        entity_type="trust_relationship",
        entity_id=relationship.id,
        to_state=RelationshipStatus.EN_PROCESO.value,
        data={
            "folio": relationship.folio,
            "patron_nrp": patron.nrp,
            "vendor_rfc": vendor.rfc,
            "months": choice.vigencia_months,
        },
    )
    enqueue_after_commit(session, PROCESS_TASK, relationship.id)
    return relationship
