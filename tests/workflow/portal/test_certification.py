"""Certificación para desarrolladores, the vendor's side (workflow.portal.certification): the
request signed with the e.firma, the e.firma shown once per session, the approval terms signed
(`Certificada`) and the cancellation; each «Continuar» commits everything or nothing."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pypdf
import pytest
from cryptography import x509
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import travel_to, utcnow
from core.db import session_scope
from efirma.errors import EFirmaReason
from efirma.signing import verify_sello
from mailer.attachments import Attachment, read_attachment
from rules.calendar import MEXICO_CITY
from schema import (
    AuditEvent,
    Certification,
    CertificationState,
    ClockKind,
    ClockState,
    CompanySession,
    Document,
    DocumentKind,
    OutboxEmail,
    PendingSignature,
    ReviewDecision,
    SignaturePurpose,
    StaffUser,
)
from tests.efirma.factory import Lab
from tests.workflow.portal.helpers import (
    ADDRESS,
    DESARROLLADOR_NAME,
    DESARROLLADOR_RFC,
    EMAIL,
    NRP,
    OTHER_EMAIL,
    OTHER_RFC,
    PATRON_NAME,
    PATRON_RFC,
    USER_AGENT,
    Company,
    Confirm,
    P,
    approved,
    continuar,
    current_certification,
    decide_round,
    dispatch,
    efirma_of,
    emails,
    generate_password,
    loaded,
    register_company,
    request_certification_signed,
    requested_and_dispatched,
    row_counts,
    submit_evidence,
    validar,
    vendor_with_password,
)
from workflow.acuses import acuse_bytes
from workflow.clocks import current_clock, running_clock
from workflow.deadlines import scan
from workflow.decisions import Decision
from workflow.dispatch import DISPATCH_TASK
from workflow.portal.accounts import open_company_session
from workflow.portal.certification import (
    certification_documents,
    certified_vendors,
    confirm_approval,
    confirm_cancellation,
    confirm_request,
    efirma_shown,
    latest_certification,
    open_certification_of,
    require_efirma_shown,
    show_efirma,
    sign_approval,
    sign_cancellation,
    sign_request,
)
from workflow.portal.efirma import read_certificate
from workflow.portal.sia_password import cancel_password
from workflow.portal.signatures import SIGNATURE_MINUTES, WaitingSignature
from workflow.portal.terms import CURRENT_VERSIONS, TermsKind, terms
from workflow.refusals import (
    CertificationReason,
    CertificationRefused,
    EFirmaRefused,
    SignatureReason,
    SignatureRefused,
)

R = CertificationReason
S = CertificationState
Tasks = list[tuple[str, tuple[Any, ...]]]


@pytest.fixture
def vendor(portal: Engine, lab: Lab) -> Company:
    """A desarrollador of the portal with its SIA password: it may request a certification."""
    return vendor_with_password(portal, lab)


def _id(certification: Certification) -> int:
    assert certification.id is not None
    return certification.id


def _refused(call: Callable[[], object]) -> CertificationRefused:
    with pytest.raises(CertificationRefused) as refused:
        call()
    return refused.value


def _request(engine: Engine, company: Company, **kwargs: Any) -> WaitingSignature:
    return validar(engine, company, sign_request, **{"accepted_terms": True, **kwargs})


def _approval(engine: Engine, company: Company, **kwargs: Any) -> WaitingSignature:
    return validar(engine, company, sign_approval, **{"accepted_terms": True, **kwargs})


def _cancellation(engine: Engine, company: Company) -> WaitingSignature:
    return validar(engine, company, sign_cancellation)


def _refused_continuar(
    engine: Engine, company: Company, confirm: Confirm, token: str
) -> CertificationRefused:
    """A «Continuar» refused, its transaction rolled back; nothing may have changed."""
    counts = row_counts(engine)
    refusal = _refused(lambda: continuar(engine, company, confirm, token))
    assert row_counts(engine) == counts
    return refusal


def _certification(engine: Engine, company: Company) -> Certification | None:
    with Session(engine) as session:
        _, organization = loaded(session, company)
        return latest_certification(session, organization)


def _documents(engine: Engine, kind: DocumentKind) -> list[Document]:
    with Session(engine) as session:
        return list(
            session.exec(select(Document).where(Document.kind == kind).order_by(col(Document.id)))
        )


def _pending(engine: Engine, waiting: WaitingSignature) -> PendingSignature:
    with Session(engine) as session:
        row = session.get(PendingSignature, waiting.row.id)
        assert row is not None
        return row


def _events(engine: Engine, *actions: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.action).in_(actions))
                .order_by(col(AuditEvent.id))
            )
        )


def _certified_rfcs(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [organization.rfc for organization in certified_vendors(session)]


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace (line breaks too) as one space."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _check_acuse(
    engine: Engine,
    waiting: WaitingSignature,
    document: Document,
    kind: DocumentKind,
    certification: Certification,
    template: str,
    filename: str,
) -> tuple[list[str], OutboxEmail]:
    """The step's acuse as stored and emailed: its fields (of the cadena) and the email."""
    signed = _pending(engine, waiting)
    assert signed.used_at is not None
    assert document.kind is kind and document.certification_id == certification.id
    assert document.folio == signed.folio and document.organization_id == certification.vendor_id
    assert document.signer_rfc == DESARROLLADOR_RFC
    assert document.certificate_number == signed.certificate_number
    assert document.cadena == signed.cadena and document.signature == signed.sello
    # The sello verifies with the waiting signature's certificate over the cadena stored …
    certificate = x509.load_der_x509_certificate(signed.certificate_der)
    assert verify_sello(certificate, document.cadena, document.signature)
    assert not verify_sello(
        certificate,
        document.cadena.replace(signed.folio, "0000000000"),
        document.signature,
    )
    # … whose values name the step's folio, the company, its certificate.
    fields = document.cadena.strip("|").split("|")
    for value in (signed.folio, DESARROLLADOR_RFC, DESARROLLADOR_NAME, signed.certificate_number):
        assert value in fields
    # The PDF shows the acuse's folio, the certification's folio and the RFC.
    pdf = acuse_bytes(document)
    shown = _pdf_text(pdf)
    for value in (signed.folio, certification.folio, DESARROLLADOR_RFC):
        assert value in shown
    # The email carries that very PDF.
    (email,) = emails(engine, template)
    assert email.recipients == [EMAIL] and email.context["folio"] == certification.folio
    (attachment,) = [Attachment.from_json(item) for item in email.attachments]
    assert attachment.content_type == "application/pdf"
    assert attachment.filename == filename.format(folio=signed.folio)
    assert read_attachment(attachment) == pdf
    return fields, email


# --- «Solicitud de Certificación»: refusals -----------------------------------------------------


def test_a_patron_is_refused_every_step(portal: Engine, lab: Lab) -> None:
    patron = register_company(portal, lab, kind=P, rfc=PATRON_RFC, nrp=NRP, name=PATRON_NAME)
    generate_password(portal, patron)
    counts = row_counts(portal)
    for step in (
        lambda: _request(portal, patron),
        lambda: _approval(portal, patron),
        lambda: _cancellation(portal, patron),
    ):
        refusal = _refused(step)
        assert refusal.reason is R.NOT_A_VENDOR
        assert "desarrolladores" in str(refusal)
    assert row_counts(portal) == counts


def test_a_vendor_without_an_sia_password_is_refused(portal: Engine, lab: Lab) -> None:
    company = register_company(portal, lab)
    counts = row_counts(portal)
    refusal = _refused(lambda: _request(portal, company))
    assert refusal.reason is R.NO_SIA_CREDENTIAL
    assert "Generación de contraseña" in str(refusal)
    assert row_counts(portal) == counts
    # A password generated and then cancelled is none either.
    generate_password(portal, company)
    with Session(portal) as session:
        account, organization = loaded(session, company)
        cancel_password(session, account, organization)
        session.commit()
    counts = row_counts(portal)
    assert _refused(lambda: _request(portal, company)).reason is R.NO_SIA_CREDENTIAL
    assert row_counts(portal) == counts


def test_the_terms_must_be_accepted(portal: Engine, vendor: Company) -> None:
    counts = row_counts(portal)
    refusal = _refused(lambda: _request(portal, vendor, accepted_terms=False))
    assert refusal.reason is R.TERMS_NOT_ACCEPTED
    assert "acepto" in str(refusal)
    assert row_counts(portal) == counts


def test_a_certification_going_refuses_another_naming_its_folio_and_state(
    portal: Engine, vendor: Company, sent_tasks: Tasks
) -> None:
    certification = request_certification_signed(portal, vendor)
    assert certification.id is not None
    counts = row_counts(portal)
    refusal = _refused(lambda: _request(portal, vendor))
    assert refusal.reason is R.OPEN_CERTIFICATION
    assert certification.folio in str(refusal) and "«Solicitada»" in str(refusal)
    assert row_counts(portal) == counts

    dispatch(portal, certification.id)
    counts = row_counts(portal)
    refusal = _refused(lambda: _request(portal, vendor))
    assert refusal.reason is R.OPEN_CERTIFICATION
    assert certification.folio in str(refusal) and "«En espera de documentos»" in str(refusal)
    assert row_counts(portal) == counts


def test_a_wrong_efirma_password_stores_nothing_but_its_count(
    portal: Engine, vendor: Company
) -> None:
    counts = row_counts(portal)
    with pytest.raises(EFirmaRefused) as refused:
        _request(portal, vendor, efirma_password="no es la contraseña")
    assert refused.value.reason is EFirmaReason.KEY_UNREADABLE
    after = row_counts(portal)
    # Only the throttle's count stays (per account and address, and per address).
    assert after == {**counts, "sign_in_failures": counts["sign_in_failures"] + 2}
    assert _certification(portal, vendor) is None


def test_another_companys_efirma_is_refused(portal: Engine, lab: Lab, vendor: Company) -> None:
    counts = row_counts(portal)
    with pytest.raises(EFirmaRefused) as refused:
        _request(portal, vendor, files=efirma_of(lab, OTHER_RFC))
    assert refused.value.reason is EFirmaReason.RFC_MISMATCH
    assert row_counts(portal) == counts


# --- «Solicitud de Certificación»: signed -------------------------------------------------------


def test_the_request_opens_the_certification_with_its_signed_responsiva(
    portal: Engine, vendor: Company, sent_tasks: Tasks
) -> None:
    waiting = _request(portal, vendor)
    signed = _pending(portal, waiting)
    assert signed.purpose is SignaturePurpose.SOLICITAR_CERTIFICACION
    assert signed.certification_id is None and signed.used_at is None
    assert _certification(portal, vendor) is None  # not before «Continuar»

    with Session(portal, expire_on_commit=False) as session:
        account, organization = loaded(session, vendor)
        step = confirm_request(session, account, organization, waiting.token)
        assert not [task for task, _ in sent_tasks if task == DISPATCH_TASK]  # not before commit
        session.commit()
    certification = step.certification
    assert certification.id is not None
    assert (DISPATCH_TASK, (certification.id,)) in sent_tasks

    stored = current_certification(portal, certification.id)
    assert stored.state is S.SOLICITADA and stored.round == 1
    assert stored.vendor_id == vendor.organization_id
    (document,) = _documents(portal, DocumentKind.ACUSE_SOLICITUD)
    assert document.id == step.acuse.document.id and step.acuse.pdf == acuse_bytes(document)
    fields, email = _check_acuse(
        portal,
        waiting,
        document,
        DocumentKind.ACUSE_SOLICITUD,
        stored,
        "solicitud_certificacion",
        "responsiva-{folio}.pdf",
    )
    current = terms(TermsKind.CERTIFICACION)
    assert fields[0] == "SOLICITUD DE CERTIFICACION SIA"
    assert f"TERMINOS {CURRENT_VERSIONS[TermsKind.CERTIFICACION]}" in fields
    assert current.sha256 in fields
    assert email.context["rfc"] == DESARROLLADOR_RFC
    assert email.context["razon_social"] == DESARROLLADOR_NAME
    assert current.title in _pdf_text(step.acuse.pdf)

    requested_signed, requested = _events(
        portal, "certification.request_signed", "certification.requested"
    )
    actor = f"cuenta:{vendor.account_id}"
    assert (requested_signed.action, requested_signed.actor) == (
        "certification.request_signed",
        actor,
    )
    assert requested_signed.entity_type == "organization"
    assert requested_signed.entity_id == vendor.organization_id
    assert requested_signed.data["folio"] == document.folio
    assert requested_signed.data["terms"] == CURRENT_VERSIONS[TermsKind.CERTIFICACION]
    assert (requested.action, requested.actor) == ("certification.requested", actor)
    assert (requested.entity_type, requested.entity_id) == ("certification", certification.id)
    assert requested.to_state == S.SOLICITADA.value
    assert requested.data["folio"] == certification.folio

    with Session(portal) as session:
        _, organization = loaded(session, vendor)
        going = open_certification_of(session, organization)
        assert going is not None and going.id == certification.id
        assert [d.id for d in certification_documents(session, organization, going)] == [
            document.id
        ]
        assert certified_vendors(session) == []


def test_a_second_continuar_with_the_same_token_is_refused(
    portal: Engine, vendor: Company, sent_tasks: Tasks
) -> None:
    waiting = _request(portal, vendor)
    continuar(portal, vendor, confirm_request, waiting.token)
    counts = row_counts(portal)
    with pytest.raises(SignatureRefused) as refused:
        continuar(portal, vendor, confirm_request, waiting.token)
    assert refused.value.reason is SignatureReason.GONE
    assert row_counts(portal) == counts
    with Session(portal) as session:
        assert len(session.exec(select(Certification)).all()) == 1
    assert len([task for task, _ in sent_tasks if task == DISPATCH_TASK]) == 1


def test_of_two_tabs_signed_before_either_continued_only_the_first_requests(
    portal: Engine, vendor: Company, sent_tasks: Tasks
) -> None:
    first = _request(portal, vendor)
    second = _request(portal, vendor)
    with Session(portal, expire_on_commit=False) as tab:
        # Tab 2's «Continuar» reads the signed-in company and releases that read-only
        # transaction (review.deps.release) …
        account, organization = loaded(tab, vendor)
        tab.commit()
        # … meanwhile tab 1's «Continuar» opens the certification …
        done = continuar(portal, vendor, confirm_request, first.token)
        counts = row_counts(portal)
        # … then tab 2 goes on, and its refusal rolls back.
        with pytest.raises(CertificationRefused) as refused:
            confirm_request(tab, account, organization, second.token)
        tab.rollback()
    assert refused.value.reason is R.OPEN_CERTIFICATION
    assert done.certification.folio in str(refused.value)
    assert row_counts(portal) == counts
    assert _pending(portal, second).used_at is None
    with Session(portal) as session:
        assert len(session.exec(select(Certification)).all()) == 1
    assert len(_documents(portal, DocumentKind.ACUSE_SOLICITUD)) == 1
    assert len(emails(portal, "solicitud_certificacion")) == 1
    assert len(_events(portal, "certification.requested")) == 1
    assert [args for task, args in sent_tasks if task == DISPATCH_TASK] == [
        (done.certification.id,)
    ]


def test_an_expired_or_another_steps_signature_is_gone(
    portal: Engine, vendor: Company, sent_tasks: Tasks
) -> None:
    waiting = _request(portal, vendor)
    counts = row_counts(portal)
    for confirm in (confirm_approval, confirm_cancellation):  # signed for another step
        with pytest.raises(SignatureRefused) as refused:
            continuar(portal, vendor, confirm, waiting.token)
        assert refused.value.reason is SignatureReason.GONE
    with (
        travel_to(utcnow() + timedelta(minutes=SIGNATURE_MINUTES, seconds=1)),
        pytest.raises(SignatureRefused),
    ):
        continuar(portal, vendor, confirm_request, waiting.token)
    assert row_counts(portal) == counts
    assert _certification(portal, vendor) is None


def test_an_expired_certification_lets_the_vendor_request_again(
    portal: Engine, lab: Lab, sent_tasks: Tasks
) -> None:
    with travel_to(datetime(2026, 1, 9, 10, 0, tzinfo=MEXICO_CITY)):
        vendor = vendor_with_password(portal, lab)
        certification = requested_and_dispatched(portal, vendor)
    # The day after the 45th business day (2026-03-17) the deadline scan expires it.
    with travel_to(datetime(2026, 3, 18, 9, 0, tzinfo=MEXICO_CITY)):
        summary = scan(partial(session_scope, portal))
        assert summary.expired == [certification.folio]
        assert current_certification(portal, _id(certification)).state is S.VENCIDA
        assert _refused(lambda: _cancellation(portal, vendor)).reason is R.NO_CERTIFICATION
        again = request_certification_signed(portal, vendor)
    assert again.folio != certification.folio and again.state is S.SOLICITADA
    latest = _certification(portal, vendor)
    assert latest is not None and latest.id == again.id


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_tabs_continuing_at_once_open_one_certification(
    portal: Engine, vendor: Company, sent_tasks: Tasks
) -> None:
    tokens = [_request(portal, vendor).token for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(token: str) -> None:
        with Session(portal) as session:
            account, organization = loaded(session, vendor)
            session.commit()
            barrier.wait()
            try:
                confirm_request(session, account, organization, token)
                session.commit()
                outcomes.append("ganó")
            except CertificationRefused as exc:
                session.rollback()
                outcomes.append(exc.reason.value)

    threads = [threading.Thread(target=attempt, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["ganó", R.OPEN_CERTIFICATION.value]
    with Session(portal) as session:
        assert len(session.exec(select(Certification)).all()) == 1
        used = session.exec(
            select(PendingSignature).where(
                PendingSignature.purpose == SignaturePurpose.SOLICITAR_CERTIFICACION,
                col(PendingSignature.used_at).is_not(None),
            )
        ).all()
        assert len(used) == 1
    assert len(_documents(portal, DocumentKind.ACUSE_SOLICITUD)) == 1
    assert len(emails(portal, "solicitud_certificacion")) == 1


# --- «Seguimiento a Certificación»: the e.firma once per session --------------------------------


def _browser_session(engine: Engine, company: Company) -> str:
    with Session(engine) as session:
        account, _ = loaded(session, company)
        opened = open_company_session(session, account, address=ADDRESS, user_agent=USER_AGENT)
        session.commit()
        return opened.row.id


def _browser_row(engine: Engine, row_id: str) -> CompanySession:
    with Session(engine) as session:
        row = session.get(CompanySession, row_id)
        assert row is not None
        return row


def _show(
    engine: Engine,
    company: Company,
    row_id: str,
    *,
    cer: bytes | None = None,
    key: bytes | None = None,
    password: str | None = None,
) -> None:
    with Session(engine) as session:
        account, organization = loaded(session, company)
        row = session.get(CompanySession, row_id)
        assert row is not None
        show_efirma(
            session,
            account,
            organization,
            row,
            cer=cer or company.files.cer,
            key=key or company.files.key,
            efirma_password=company.efirma_password if password is None else password,
            address=ADDRESS,
        )
        session.commit()


def test_showing_the_efirma_marks_the_session(portal: Engine, vendor: Company) -> None:
    row_id = _browser_session(portal, vendor)
    other_id = _browser_session(portal, vendor)
    before = _browser_row(portal, row_id)
    assert not efirma_shown(before)
    refusal = _refused(lambda: require_efirma_shown(before))
    assert refusal.reason is R.EFIRMA_REQUIRED and "e.firma" in str(refusal)

    _show(portal, vendor, row_id)
    shown = _browser_row(portal, row_id)
    number = read_certificate(vendor.files.cer).certificate_number
    assert efirma_shown(shown) and shown.efirma_verified_at is not None
    assert shown.efirma_certificate_number == number
    require_efirma_shown(shown)
    # Once per session: another session of the same account has not shown it.
    other = _browser_row(portal, other_id)
    assert not efirma_shown(other) and other.efirma_certificate_number is None
    with pytest.raises(CertificationRefused):
        require_efirma_shown(other)
    (event,) = _events(portal, "portal.efirma_shown")
    assert event.actor == f"cuenta:{vendor.account_id}"
    assert (event.entity_type, event.entity_id) == ("organization", vendor.organization_id)
    assert event.data == {"certificate_number": number}


def test_a_wrong_efirma_password_marks_nothing(portal: Engine, vendor: Company) -> None:
    row_id = _browser_session(portal, vendor)
    counts = row_counts(portal)
    with pytest.raises(EFirmaRefused) as refused:
        _show(portal, vendor, row_id, password="no es la contraseña")
    assert refused.value.reason is EFirmaReason.KEY_UNREADABLE
    row = _browser_row(portal, row_id)
    assert not efirma_shown(row) and row.efirma_certificate_number is None
    assert row_counts(portal) == {**counts, "sign_in_failures": counts["sign_in_failures"] + 2}
    assert _events(portal, "portal.efirma_shown") == []


def test_another_companys_efirma_marks_nothing(portal: Engine, lab: Lab, vendor: Company) -> None:
    row_id = _browser_session(portal, vendor)
    other = efirma_of(lab, OTHER_RFC)
    counts = row_counts(portal)
    with pytest.raises(EFirmaRefused) as refused:
        _show(portal, vendor, row_id, cer=other.cer, key=other.key)
    assert refused.value.reason is EFirmaReason.RFC_MISMATCH
    row = _browser_row(portal, row_id)
    assert not efirma_shown(row) and row.efirma_certificate_number is None
    assert row_counts(portal) == counts


# --- Aprobación -------------------------------------------------------------------------------


def test_signing_the_approval_makes_the_vendor_certified(
    portal: Engine, vendor: Company, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    certification = approved(portal, vendor, reviewer)
    assert certification.state is S.APROBADA_PENDIENTE_DE_FIRMA and certification.id is not None
    assert _certified_rfcs(portal) == []

    refusal = _refused(lambda: _approval(portal, vendor, accepted_terms=False))
    assert refusal.reason is R.TERMS_NOT_ACCEPTED
    waiting = _approval(portal, vendor)
    signed = _pending(portal, waiting)
    assert signed.purpose is SignaturePurpose.FIRMAR_APROBACION
    assert signed.certification_id == certification.id
    assert current_certification(portal, certification.id).state is S.APROBADA_PENDIENTE_DE_FIRMA

    step = continuar(portal, vendor, confirm_approval, waiting.token)
    stored = current_certification(portal, certification.id)
    assert stored.state is S.CERTIFICADA and step.certification.id == certification.id
    (document,) = _documents(portal, DocumentKind.ACUSE_APROBACION)
    fields, email = _check_acuse(
        portal,
        waiting,
        document,
        DocumentKind.ACUSE_APROBACION,
        stored,
        "certificacion",
        "responsiva-{folio}.pdf",
    )
    assert fields[0] == "APROBACION DE CERTIFICACION SIA" and certification.folio in fields
    assert f"TERMINOS {CURRENT_VERSIONS[TermsKind.APROBACION]}" in fields
    assert terms(TermsKind.APROBACION).sha256 in fields
    assert email.context["rfc"] == DESARROLLADOR_RFC
    assert _certified_rfcs(portal) == [DESARROLLADOR_RFC]

    approval_signed, terms_signed = _events(
        portal, "certification.approval_signed", "certification.terms_signed"
    )
    assert approval_signed.data["certification"] == certification.folio
    assert approval_signed.data["folio"] == document.folio
    assert (terms_signed.from_state, terms_signed.to_state) == (
        S.APROBADA_PENDIENTE_DE_FIRMA.value,
        S.CERTIFICADA.value,
    )
    assert terms_signed.actor == f"cuenta:{vendor.account_id}"
    with Session(portal) as session:
        _, organization = loaded(session, vendor)
        kinds = [d.kind for d in certification_documents(session, organization, stored)]
    assert kinds == [DocumentKind.ACUSE_SOLICITUD, DocumentKind.ACUSE_APROBACION]

    # Certified, there is nothing more to sign.
    counts = row_counts(portal)
    refusal = _refused(lambda: _approval(portal, vendor))
    assert refusal.reason is R.NOT_AWAITING_SIGNATURE and "«Certificada»" in str(refusal)
    assert row_counts(portal) == counts


def test_the_approval_is_signed_only_when_awaiting_signature(
    portal: Engine, vendor: Company, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    counts = row_counts(portal)
    assert _refused(lambda: _approval(portal, vendor)).reason is R.NO_CERTIFICATION
    assert row_counts(portal) == counts

    certification = request_certification_signed(portal, vendor)
    assert certification.id is not None
    for state in (S.SOLICITADA, S.EN_ESPERA_DE_DOCUMENTOS, S.EN_ANALISIS):
        if state is S.EN_ESPERA_DE_DOCUMENTOS:
            dispatch(portal, certification.id)
        elif state is S.EN_ANALISIS:
            submit_evidence(portal, vendor, certification.folio)
        assert current_certification(portal, certification.id).state is state
        counts = row_counts(portal)
        refusal = _refused(lambda: _approval(portal, vendor))
        assert refusal.reason is R.NOT_AWAITING_SIGNATURE
        assert certification.folio in str(refusal) and f"«{state.label}»" in str(refusal)
        # Even with the terms not accepted, the state is what is refused first.
        assert _refused(lambda: _approval(portal, vendor, accepted_terms=False)).reason is (
            R.NOT_AWAITING_SIGNATURE
        )
        assert row_counts(portal) == counts


def test_an_approval_signed_before_the_certification_moved_on_is_refused(
    portal: Engine, vendor: Company, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    certification = approved(portal, vendor, reviewer)
    assert certification.id is not None
    first, second = _approval(portal, vendor), _approval(portal, vendor)
    continuar(portal, vendor, confirm_approval, first.token)

    # The other tab's approval: already certified.
    refusal = _refused_continuar(portal, vendor, confirm_approval, second.token)
    assert refusal.reason is R.NOT_AWAITING_SIGNATURE
    assert certification.folio in str(refusal) and "«Certificada»" in str(refusal)
    assert _pending(portal, second).used_at is None

    # Cancelled by yet another tab: the waiting approval still cannot certify it again.
    continuar(portal, vendor, confirm_cancellation, _cancellation(portal, vendor).token)
    refusal = _refused_continuar(portal, vendor, confirm_approval, second.token)
    assert refusal.reason is R.NOT_AWAITING_SIGNATURE and "«Cancelada»" in str(refusal)
    assert current_certification(portal, certification.id).state is S.CANCELADA
    assert _certified_rfcs(portal) == []
    assert len(_documents(portal, DocumentKind.ACUSE_APROBACION)) == 1
    assert len(emails(portal, "certificacion")) == 1
    assert len(_events(portal, "certification.terms_signed")) == 1


# --- Cancelación -------------------------------------------------------------------------------


def test_cancelling_while_awaiting_documents_stops_the_clock(
    portal: Engine, vendor: Company, sent_tasks: Tasks
) -> None:
    certification = requested_and_dispatched(portal, vendor)
    assert certification.id is not None
    with Session(portal) as session:
        assert running_clock(session, certification, ClockKind.EVIDENCIA) is not None

    waiting = _cancellation(portal, vendor)
    signed = _pending(portal, waiting)
    assert signed.purpose is SignaturePurpose.CANCELAR_CERTIFICACION
    assert signed.certification_id == certification.id
    continuar(portal, vendor, confirm_cancellation, waiting.token)

    stored = current_certification(portal, certification.id)
    assert stored.state is S.CANCELADA
    (document,) = _documents(portal, DocumentKind.ACUSE_CANCELACION)
    fields, email = _check_acuse(
        portal,
        waiting,
        document,
        DocumentKind.ACUSE_CANCELACION,
        stored,
        "cancelacion",
        "acuse-cancelacion-{folio}.pdf",
    )
    assert fields[0] == "CANCELACION DE CERTIFICACION SIA"
    assert certification.folio in fields and "En espera de documentos" in fields
    assert email.context["razon_social"] == DESARROLLADOR_NAME
    with Session(portal) as session:
        assert running_clock(session, stored, ClockKind.EVIDENCIA) is None
        clock = current_clock(session, stored, ClockKind.EVIDENCIA)
        assert clock is not None and clock.state is ClockState.DETENIDO
        assert clock.stopped_at is not None and clock.next_at is None
    (cancelled,) = _events(portal, "certification.cancelled")
    assert (cancelled.from_state, cancelled.to_state) == (
        S.EN_ESPERA_DE_DOCUMENTOS.value,
        S.CANCELADA.value,
    )
    assert cancelled.actor == f"cuenta:{vendor.account_id}"
    (cancellation_signed,) = _events(portal, "certification.cancellation_signed")
    assert cancellation_signed.data["certification"] == certification.folio
    # The deadline scan has nothing left to do with it: no reminder, no expiry.
    assert clock.due_at is not None
    with travel_to(clock.due_at + timedelta(days=1)):
        summary = scan(partial(session_scope, portal))
    assert summary.expired == []
    assert current_certification(portal, _id(stored)).state is S.CANCELADA
    assert emails(portal, "recordatorio_plazo") == [] and emails(portal, "vencimiento") == []

    # Cancelled is closed: a new request opens a new certification.
    with Session(portal) as session:
        _, organization = loaded(session, vendor)
        assert open_certification_of(session, organization) is None
    again = request_certification_signed(portal, vendor)
    assert again.id != certification.id and again.folio != certification.folio
    assert again.state is S.SOLICITADA
    with Session(portal) as session:
        _, organization = loaded(session, vendor)
        latest = latest_certification(session, organization)
        assert latest is not None and latest.id == again.id
        going = open_certification_of(session, organization)
        assert going is not None and going.id == again.id
    assert (DISPATCH_TASK, (again.id,)) in sent_tasks


def test_cancelling_a_certified_vendor_takes_it_off_the_list_at_once(
    portal: Engine, lab: Lab, vendor: Company, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    certification = approved(portal, vendor, reviewer)
    assert certification.id is not None
    continuar(portal, vendor, confirm_approval, _approval(portal, vendor).token)
    assert _certified_rfcs(portal) == [DESARROLLADOR_RFC]

    waiting = _cancellation(portal, vendor)
    with Session(portal, expire_on_commit=False) as session:
        account, organization = loaded(session, vendor)
        confirm_cancellation(session, account, organization, waiting.token)
        session.commit()
        assert certified_vendors(session) == []
    stored = current_certification(portal, certification.id)
    assert stored.state is S.CANCELADA
    (document,) = _documents(portal, DocumentKind.ACUSE_CANCELACION)
    fields, _ = _check_acuse(
        portal,
        waiting,
        document,
        DocumentKind.ACUSE_CANCELACION,
        stored,
        "cancelacion",
        "acuse-cancelacion-{folio}.pdf",
    )
    assert "Certificada" in fields
    (cancelled,) = _events(portal, "certification.cancelled")
    assert cancelled.from_state == S.CERTIFICADA.value
    assert _certified_rfcs(portal) == []
    # And it may start over.
    assert request_certification_signed(portal, vendor).state is S.SOLICITADA


def test_cancelling_is_refused_while_under_review_or_awaiting_signature(
    portal: Engine, vendor: Company, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    counts = row_counts(portal)
    assert _refused(lambda: _cancellation(portal, vendor)).reason is R.NO_CERTIFICATION
    assert row_counts(portal) == counts

    certification = request_certification_signed(portal, vendor)
    assert certification.id is not None
    for state in (S.SOLICITADA, S.EN_ANALISIS, S.APROBADA_PENDIENTE_DE_FIRMA):
        if state is S.EN_ANALISIS:
            dispatch(portal, certification.id)
            submit_evidence(portal, vendor, certification.folio)
        elif state is S.APROBADA_PENDIENTE_DE_FIRMA:
            decide_round(portal, certification.folio, reviewer, Decision(ReviewDecision.APROBADA))
        assert current_certification(portal, certification.id).state is state
        counts = row_counts(portal)
        refusal = _refused(lambda: _cancellation(portal, vendor))
        assert refusal.reason is R.NOT_CANCELLABLE
        assert certification.folio in str(refusal) and f"«{state.label}»" in str(refusal)
        assert row_counts(portal) == counts


def test_a_cancellation_signed_before_the_evidence_was_accepted_is_refused(
    portal: Engine, vendor: Company, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    certification = requested_and_dispatched(portal, vendor)
    assert certification.id is not None
    waiting = _cancellation(portal, vendor)
    submit_evidence(portal, vendor, certification.folio)  # meanwhile: `En análisis`
    refusal = _refused_continuar(portal, vendor, confirm_cancellation, waiting.token)
    assert refusal.reason is R.NOT_CANCELLABLE
    assert certification.folio in str(refusal) and "«En análisis»" in str(refusal)
    assert current_certification(portal, certification.id).state is S.EN_ANALISIS
    assert _pending(portal, waiting).used_at is None
    assert _documents(portal, DocumentKind.ACUSE_CANCELACION) == []
    assert emails(portal, "cancelacion") == []


# --- Atomicity: the email is part of the step -------------------------------------------------


class _MailDown(RuntimeError):
    pass


def _fail_email(*args: object, **kwargs: object) -> None:
    raise _MailDown("la bandeja de salida no está disponible")


def _step_written_only_with_its_email(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    company: Company,
    confirm: Confirm,
    waiting: WaitingSignature,
    kind: DocumentKind,
) -> Session:
    """«Continuar» with the outbox failing: the transaction must roll back whole; the session
    (rolled back, still open) for the caller to re-read."""
    counts = row_counts(engine)
    session = Session(engine)
    account, organization = loaded(session, company)
    with monkeypatch.context() as patched:
        patched.setattr("workflow.portal.certification.queue_email", _fail_email)
        with pytest.raises(_MailDown):
            confirm(session, account, organization, waiting.token)
    # The step had got as far as the email: its acuse was written (in the transaction) …
    assert session.exec(select(Document).where(Document.kind == kind)).all() != []
    session.rollback()
    # … and after the rollback nothing of it is left.
    assert row_counts(engine) == counts
    row = session.get(PendingSignature, waiting.row.id)
    assert row is not None and row.used_at is None
    return session


def test_a_failing_email_rolls_the_approval_back_whole(
    portal: Engine,
    vendor: Company,
    reviewer: StaffUser,
    monkeypatch: pytest.MonkeyPatch,
    sent_tasks: Tasks,
) -> None:
    certification = approved(portal, vendor, reviewer)
    assert certification.id is not None
    waiting = _approval(portal, vendor)
    with _step_written_only_with_its_email(
        portal, monkeypatch, vendor, confirm_approval, waiting, DocumentKind.ACUSE_APROBACION
    ) as session:
        stored = session.get(Certification, certification.id)
        assert stored is not None and stored.state is S.APROBADA_PENDIENTE_DE_FIRMA
        assert stored.version == certification.version
        assert session.exec(select(Document).where(Document.certification_id == stored.id)).all()
        assert (
            session.exec(
                select(Document).where(Document.kind == DocumentKind.ACUSE_APROBACION)
            ).all()
            == []
        )
        assert (
            session.exec(
                select(AuditEvent).where(AuditEvent.action == "certification.terms_signed")
            ).all()
            == []
        )
        assert certified_vendors(session) == []
    assert emails(portal, "certificacion") == []
    # With the outbox back, the same signature still certifies.
    continuar(portal, vendor, confirm_approval, waiting.token)
    assert current_certification(portal, certification.id).state is S.CERTIFICADA
    assert len(emails(portal, "certificacion")) == 1


def test_a_failing_email_rolls_the_request_back_whole(
    portal: Engine, vendor: Company, monkeypatch: pytest.MonkeyPatch, sent_tasks: Tasks
) -> None:
    waiting = _request(portal, vendor)
    with _step_written_only_with_its_email(
        portal, monkeypatch, vendor, confirm_request, waiting, DocumentKind.ACUSE_SOLICITUD
    ) as session:
        assert session.exec(select(Certification)).all() == []
        assert session.exec(select(Document)).all() != []  # the password's responsiva only
        assert (
            session.exec(
                select(Document).where(Document.kind == DocumentKind.ACUSE_SOLICITUD)
            ).all()
            == []
        )
    assert [task for task, _ in sent_tasks if task == DISPATCH_TASK] == []
    assert _events(portal, "certification.requested") == []
    continuar(portal, vendor, confirm_request, waiting.token)
    assert len(_events(portal, "certification.requested")) == 1


def test_a_failing_email_rolls_the_cancellation_back_whole(
    portal: Engine, vendor: Company, monkeypatch: pytest.MonkeyPatch, sent_tasks: Tasks
) -> None:
    certification = requested_and_dispatched(portal, vendor)
    assert certification.id is not None
    waiting = _cancellation(portal, vendor)
    with _step_written_only_with_its_email(
        portal, monkeypatch, vendor, confirm_cancellation, waiting, DocumentKind.ACUSE_CANCELACION
    ) as session:
        stored = session.get(Certification, certification.id)
        assert stored is not None and stored.state is S.EN_ESPERA_DE_DOCUMENTOS
        assert running_clock(session, stored, ClockKind.EVIDENCIA) is not None
    assert _events(portal, "certification.cancelled") == []
    assert _documents(portal, DocumentKind.ACUSE_CANCELACION) == []


# --- Two vendors -------------------------------------------------------------------------------


def test_certified_vendors_lists_only_the_certified(
    portal: Engine, lab: Lab, vendor: Company, reviewer: StaffUser, sent_tasks: Tasks
) -> None:
    other = vendor_with_password(
        portal, lab, rfc=OTHER_RFC, email=OTHER_EMAIL, files=efirma_of(lab, OTHER_RFC)
    )
    approved(portal, vendor, reviewer)
    continuar(portal, vendor, confirm_approval, _approval(portal, vendor).token)
    requested_and_dispatched(portal, other)
    assert _certified_rfcs(portal) == [DESARROLLADOR_RFC]
    # The other vendor's steps see only its own certification.
    refusal = _refused(lambda: _approval(portal, other))
    assert refusal.reason is R.NOT_AWAITING_SIGNATURE and "«En espera de documentos»" in str(
        refusal
    )
    mine = _certification(portal, other)
    assert mine is not None and mine.state is S.EN_ESPERA_DE_DOCUMENTOS
