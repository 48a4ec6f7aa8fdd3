"""Generación de contraseña (workflow.portal.sia_password): «Validar» with the e.firma,
«Continuar» (the password by email with the signed responsiva), cancel and recover."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pypdf
import pytest
from cryptography import x509
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import travel_to, utcnow
from core.security import verify_password
from efirma.errors import EFirmaReason
from efirma.signing import verify_sello
from mailer.attachments import Attachment, read_attachment
from schema import (
    AuditEvent,
    Document,
    DocumentKind,
    Organization,
    PendingSignature,
    SignaturePurpose,
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
    Company,
    P,
    efirma_of,
    emailed_password,
    emails,
    generate_password,
    loaded,
    register_company,
    row_counts,
)
from workflow.acuses import acuse_bytes
from workflow.portal.captcha import new_challenge
from workflow.portal.sia_password import (
    cancel_password,
    company_document,
    company_documents,
    confirm_generation,
    recover_password,
    sign_generation,
)
from workflow.portal.signatures import SIGNATURE_MINUTES
from workflow.portal.terms import CURRENT_VERSIONS, TermsKind, terms
from workflow.refusals import (
    EFirmaRefused,
    SiaPasswordReason,
    SiaPasswordRefused,
    SignatureReason,
    SignatureRefused,
)
from workflow.throttle import ACCOUNT_LIMIT, Throttled

R = SiaPasswordReason


@pytest.fixture
def company(portal: Engine, lab: Lab) -> Company:
    """A desarrollador registered and confirmed in the portal, with no SIA password yet."""
    return register_company(portal, lab)


def _validar(
    engine: Engine,
    company: Company,
    *,
    accepted_terms: bool = True,
    cer: bytes | None = None,
    key: bytes | None = None,
) -> tuple[str, int]:
    """«Validar»: the waiting signature's token and row id."""
    with Session(engine) as session:
        account, organization = loaded(session, company)
        waiting = sign_generation(
            session,
            account,
            organization,
            accepted_terms=accepted_terms,
            cer=cer or company.files.cer,
            key=key or company.files.key,
            efirma_password=company.efirma_password,
            address=ADDRESS,
        )
        session.commit()
        assert waiting.row.id is not None
        return waiting.token, waiting.row.id


def _continuar(engine: Engine, company: Company, token: str) -> Document:
    with Session(engine, expire_on_commit=False) as session:
        account, organization = loaded(session, company)
        document = confirm_generation(session, account, organization, token)
        session.commit()
        return document


def _organization(engine: Engine, company: Company) -> Organization:
    with Session(engine) as session:
        organization = session.get(Organization, company.organization_id)
        assert organization is not None
        return organization


def _gone(call: Callable[[], object]) -> SignatureRefused:
    with pytest.raises(SignatureRefused) as refused:
        call()
    assert refused.value.reason is SignatureReason.GONE
    return refused.value


def _sia_refused(call: Callable[[], object]) -> SiaPasswordRefused:
    with pytest.raises(SiaPasswordRefused) as refused:
        call()
    return refused.value


def _sia_actions(engine: Engine, company: Company) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [
            (event.action, event.actor)
            for event in session.exec(
                select(AuditEvent)
                .where(
                    AuditEvent.entity_type == "organization",
                    AuditEvent.entity_id == company.organization_id,
                    col(AuditEvent.action).startswith("sia_password."),
                )
                .order_by(col(AuditEvent.id))
            )
        ]


# --- «Validar» ---------------------------------------------------------------------------------


def test_validar_needs_the_terms_accepted(portal: Engine, company: Company) -> None:
    counts = row_counts(portal)
    refusal = _sia_refused(lambda: _validar(portal, company, accepted_terms=False))
    assert refusal.reason is R.TERMS_NOT_ACCEPTED
    assert "Acepto términos y condiciones" in str(refusal)
    assert row_counts(portal) == counts


def test_validar_needs_the_companys_own_efirma(portal: Engine, lab: Lab, company: Company) -> None:
    other = efirma_of(lab, OTHER_RFC)
    counts = row_counts(portal)
    with pytest.raises(EFirmaRefused) as refused:
        _validar(portal, company, cer=other.cer, key=other.key)
    assert refused.value.reason is EFirmaReason.RFC_MISMATCH
    assert row_counts(portal) == counts


def test_validar_is_refused_while_a_password_is_active(portal: Engine, company: Company) -> None:
    generate_password(portal, company)
    counts = row_counts(portal)
    assert _sia_refused(lambda: _validar(portal, company)).reason is R.ALREADY_ACTIVE
    assert row_counts(portal) == counts


# --- «Continuar» -------------------------------------------------------------------------------


def test_continuar_generates_the_password_and_the_signed_responsiva(
    portal: Engine, company: Company
) -> None:
    before = _organization(portal, company)
    assert before.sia_password_hash is None and before.sia_password_version == 0
    token, waiting_id = _validar(portal, company)
    with Session(portal) as session:
        waiting = session.get(PendingSignature, waiting_id)
        assert waiting is not None
        assert waiting.purpose is SignaturePurpose.GENERAR_CONTRASENA
        assert waiting.token_hash != token and waiting.used_at is None
        assert waiting.expires_at == waiting.signed_at + timedelta(minutes=SIGNATURE_MINUTES)
    assert _organization(portal, company).sia_password_hash is None  # not before «Continuar»

    document = _continuar(portal, company, token)

    (email,) = emails(portal, "contrasena_generada")
    password = emailed_password(email)
    organization = _organization(portal, company)
    assert organization.sia_password_hash is not None
    assert verify_password(password, organization.sia_password_hash)
    assert organization.sia_password_version == 1
    assert email.recipients == [EMAIL]
    assert email.context["folio"] == waiting.folio
    assert email.context["rfc"] == DESARROLLADOR_RFC
    assert password not in str(email.context)  # sealed in the row

    with Session(portal) as session:
        stored = session.exec(select(Document)).one()
        used = session.get(PendingSignature, waiting_id)
        assert used is not None and used.used_at is not None
    assert stored.id == document.id
    assert stored.kind is DocumentKind.RESPONSIVA_CONTRASENA
    assert stored.folio == waiting.folio
    assert stored.organization_id == company.organization_id
    assert stored.signer_rfc == DESARROLLADOR_RFC
    assert stored.certificate_number == waiting.certificate_number
    assert stored.signature == waiting.sello

    # The sello verifies with the certificate over the cadena that was signed …
    certificate = x509.load_der_x509_certificate(waiting.certificate_der)
    assert certificate == company.files.certificate
    assert verify_sello(certificate, waiting.cadena, stored.signature)
    assert not verify_sello(
        certificate, waiting.cadena.replace(waiting.folio, "0000000000"), stored.signature
    )
    # … which names the folio, the company, the terms' version and their SHA-256.
    current = terms()
    fields = waiting.cadena.strip("|").split("|")
    assert waiting.folio in fields and DESARROLLADOR_RFC in fields
    assert DESARROLLADOR_NAME in fields and waiting.certificate_number in fields
    assert (
        f"TERMINOS {CURRENT_VERSIONS[TermsKind.CONTRASENA]}" in fields
        and current.version == CURRENT_VERSIONS[TermsKind.CONTRASENA]
    )
    assert current.sha256 in fields and len(current.sha256) == 64

    # One attachment: the responsiva's PDF, the very one stored.
    (attachment,) = [Attachment.from_json(item) for item in email.attachments]
    assert attachment.content_type == "application/pdf"
    assert attachment.filename == f"responsiva-{waiting.folio}.pdf"
    pdf = read_attachment(attachment)
    assert pdf.startswith(b"%PDF-") and pdf == acuse_bytes(stored)
    shown = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for value in (waiting.folio, DESARROLLADOR_RFC, DESARROLLADOR_NAME, waiting.certificate_number):
        assert value in shown
    assert f"versión {CURRENT_VERSIONS[TermsKind.CONTRASENA]}" in shown and current.title in shown

    with Session(portal) as session:
        _, organization = loaded(session, company)
        assert [d.folio for d in company_documents(session, organization)] == [waiting.folio]
        assert company_document(session, organization, f" {waiting.folio} ") is not None
    assert _sia_actions(portal, company) == [
        ("sia_password.terms_signed", f"cuenta:{company.account_id}"),
        ("sia_password.generated", f"cuenta:{company.account_id}"),
    ]


def test_a_patron_generates_its_password_with_its_nrp_in_the_cadena(
    portal: Engine, lab: Lab
) -> None:
    patron = register_company(portal, lab, kind=P, rfc=PATRON_RFC, nrp=NRP, name=PATRON_NAME)
    password = generate_password(portal, patron)
    organization = _organization(portal, patron)
    assert organization.sia_password_hash is not None
    assert verify_password(password, organization.sia_password_hash)
    with Session(portal) as session:
        waiting = session.exec(select(PendingSignature)).one()
    fields = waiting.cadena.strip("|").split("|")
    assert NRP in fields and PATRON_RFC in fields and "patron" in fields


def test_a_used_signature_is_gone(portal: Engine, company: Company) -> None:
    token, _ = _validar(portal, company)
    _continuar(portal, company, token)
    counts = row_counts(portal)
    _gone(lambda: _continuar(portal, company, token))
    assert row_counts(portal) == counts
    assert _organization(portal, company).sia_password_version == 1


def test_an_expired_signature_is_gone(portal: Engine, company: Company) -> None:
    token, _ = _validar(portal, company)
    counts = row_counts(portal)
    with travel_to(utcnow() + timedelta(minutes=SIGNATURE_MINUTES, seconds=1)):
        _gone(lambda: _continuar(portal, company, token))
    assert row_counts(portal) == counts
    organization = _organization(portal, company)
    assert organization.sia_password_hash is None and organization.sia_password_version == 0


def test_another_accounts_signature_is_gone_and_so_is_a_made_up_one(
    portal: Engine, lab: Lab, company: Company
) -> None:
    other = register_company(portal, lab, rfc=OTHER_RFC, email=OTHER_EMAIL)
    token, _ = _validar(portal, company)
    counts = row_counts(portal)
    _gone(lambda: _continuar(portal, other, token))
    for made_up in ("", "x" * 101, token[:-1]):
        _gone(partial(_continuar, portal, company, made_up))
    assert row_counts(portal) == counts
    assert _organization(portal, other).sia_password_hash is None
    _continuar(portal, company, token)  # still the company's own


def test_of_two_tabs_only_the_first_continuar_generates(portal: Engine, company: Company) -> None:
    first, _ = _validar(portal, company)
    second, _ = _validar(portal, company)
    _continuar(portal, company, first)
    assert _sia_refused(lambda: _continuar(portal, company, second)).reason is R.ALREADY_ACTIVE
    assert len(emails(portal, "contrasena_generada")) == 1
    assert _organization(portal, company).sia_password_version == 1


def test_continuar_in_a_tab_opened_before_the_other_tab_generated_is_refused(
    portal: Engine, company: Company
) -> None:
    first, _ = _validar(portal, company)
    second, _ = _validar(portal, company)
    with Session(portal, expire_on_commit=False) as tab:
        # Tab 2's «Continuar»: the request reads the signed-in company and ends that read-only
        # transaction, keeping the objects loaded (review.deps.page_company and release()) …
        account, organization = loaded(tab, company)
        tab.commit()
        # … meanwhile tab 1's «Continuar» generates the password (on PostgreSQL tab 2 would
        # wait for it at _locked's FOR UPDATE) …
        _continuar(portal, company, first)
        # … then tab 2 goes on, as its handler would, committing what it did.
        try:
            confirm_generation(tab, account, organization, second)
            reason = None
        except SiaPasswordRefused as refused:
            reason = refused.reason
        tab.commit()
    (email,) = emails(portal, "contrasena_generada")
    stored = _organization(portal, company)
    assert stored.sia_password_hash is not None
    # The company must be able to use the password it was emailed.
    assert verify_password(emailed_password(email), stored.sia_password_hash)
    assert reason is R.ALREADY_ACTIVE
    with Session(portal) as session:
        assert len(session.exec(select(Document)).all()) == 1


# --- cancel ------------------------------------------------------------------------------------


def _cancel(engine: Engine, company: Company) -> None:
    with Session(engine) as session:
        account, organization = loaded(session, company)
        cancel_password(session, account, organization)
        session.commit()


def test_cancel_clears_the_password_and_says_so_by_email(portal: Engine, company: Company) -> None:
    password = generate_password(portal, company)
    _cancel(portal, company)
    organization = _organization(portal, company)
    assert organization.sia_password_hash is None
    assert organization.sia_password_version == 2
    (email,) = emails(portal, "contrasena_cancelada")
    assert email.recipients == [EMAIL] and email.context["rfc"] == DESARROLLADOR_RFC
    assert "sia" not in email.context
    assert _sia_actions(portal, company)[-1] == (
        "sia_password.cancelled",
        f"cuenta:{company.account_id}",
    )
    # A password can be generated again, a new one.
    again = generate_password(portal, company)
    assert again != password
    organization = _organization(portal, company)
    assert organization.sia_password_hash is not None
    assert verify_password(again, organization.sia_password_hash)
    assert not verify_password(password, organization.sia_password_hash)
    assert organization.sia_password_version == 3


def test_cancel_without_a_password_is_refused(portal: Engine, company: Company) -> None:
    counts = row_counts(portal)
    assert _sia_refused(lambda: _cancel(portal, company)).reason is R.NONE_ACTIVE
    assert row_counts(portal) == counts
    generate_password(portal, company)
    _cancel(portal, company)
    assert _sia_refused(lambda: _cancel(portal, company)).reason is R.NONE_ACTIVE
    assert _organization(portal, company).sia_password_version == 2


# --- recover -----------------------------------------------------------------------------------


def _challenge(engine: Engine) -> str:
    with Session(engine) as session:
        challenge = new_challenge(session)
        session.commit()
        return challenge.token


def _recover(engine: Engine, company: Company, token: str, answer: str) -> None:
    """As the web layer does it: the transaction is committed even when refused (the captcha is
    spent either way)."""
    with Session(engine) as session:
        account, organization = loaded(session, company)
        try:
            recover_password(
                session, account, organization, captcha_token=token, captcha_answer=answer
            )
        finally:
            session.commit()


def test_a_wrong_captcha_changes_nothing_and_spends_the_image(
    portal: Engine, company: Company, captcha_texts: list[str]
) -> None:
    password = generate_password(portal, company)
    before = _organization(portal, company)
    token = _challenge(portal)
    refusal = _sia_refused(lambda: _recover(portal, company, token, "00000"))
    assert refusal.reason is R.WRONG_CAPTCHA
    # The right answer now comes too late: that image was spent by the wrong one.
    refusal = _sia_refused(lambda: _recover(portal, company, token, captcha_texts[-1]))
    assert refusal.reason is R.WRONG_CAPTCHA
    after = _organization(portal, company)
    assert after.sia_password_hash == before.sia_password_hash
    assert after.sia_password_hash is not None and verify_password(
        password, after.sia_password_hash
    )
    assert after.sia_password_version == before.sia_password_version
    assert emails(portal, "contrasena_recuperada") == []
    assert "sia_password.recovered" not in {action for action, _ in _sia_actions(portal, company)}


def test_the_right_captcha_recovers_a_new_password_by_email(
    portal: Engine, company: Company, captcha_texts: list[str]
) -> None:
    old = generate_password(portal, company)
    token = _challenge(portal)
    _recover(portal, company, token, f" {captcha_texts[-1].lower()} ")
    (email,) = emails(portal, "contrasena_recuperada")
    new = emailed_password(email)
    assert new != old and new not in str(email.context)
    assert email.recipients == [EMAIL] and email.attachments == []
    organization = _organization(portal, company)
    assert organization.sia_password_hash is not None
    assert verify_password(new, organization.sia_password_hash)
    assert not verify_password(old, organization.sia_password_hash)
    assert organization.sia_password_version == 2
    # The same image does not recover twice.
    assert _sia_refused(lambda: _recover(portal, company, token, captcha_texts[-1])).reason is (
        R.WRONG_CAPTCHA
    )
    assert [action for action, _ in _sia_actions(portal, company)] == [
        "sia_password.terms_signed",
        "sia_password.generated",
        "sia_password.recovered",
    ]


def test_a_cancelled_password_is_recovered_without_signing_again(
    portal: Engine, company: Company, captcha_texts: list[str]
) -> None:
    old = generate_password(portal, company)
    _cancel(portal, company)
    _recover(portal, company, _challenge(portal), captcha_texts[-1])
    (email,) = emails(portal, "contrasena_recuperada")
    new = emailed_password(email)
    organization = _organization(portal, company)
    assert organization.sia_password_hash is not None
    assert verify_password(new, organization.sia_password_hash)
    assert not verify_password(old, organization.sia_password_hash)
    assert organization.sia_password_version == 3
    with Session(portal) as session:
        assert len(session.exec(select(Document)).all()) == 1  # the one responsiva
        assert session.exec(select(PendingSignature)).one().used_at is not None


def test_recover_without_a_password_is_refused(
    portal: Engine, company: Company, captcha_texts: list[str]
) -> None:
    # Never generated: the terms must be signed first (a signature that was never confirmed
    # does not count).
    _validar(portal, company)
    token = _challenge(portal)
    refusal = _sia_refused(lambda: _recover(portal, company, token, captcha_texts[-1]))
    assert refusal.reason is R.NONE_ACTIVE
    # The image was spent all the same.
    assert _sia_refused(lambda: _recover(portal, company, token, captcha_texts[-1])).reason is (
        R.WRONG_CAPTCHA
    )
    organization = _organization(portal, company)
    assert organization.sia_password_hash is None and organization.sia_password_version == 0
    assert emails(portal, "contrasena_recuperada") == []


def test_every_step_is_audited(portal: Engine, company: Company, captcha_texts: list[str]) -> None:
    generate_password(portal, company)
    _recover(portal, company, _challenge(portal), captcha_texts[-1])
    _cancel(portal, company)
    actor = f"cuenta:{company.account_id}"
    assert _sia_actions(portal, company) == [
        ("sia_password.terms_signed", actor),
        ("sia_password.generated", actor),
        ("sia_password.recovered", actor),
        ("sia_password.cancelled", actor),
    ]
    with Session(portal) as session:
        signed = session.exec(
            select(AuditEvent).where(AuditEvent.action == "sia_password.terms_signed")
        ).one()
        document = session.exec(select(Document)).one()
    assert signed.data["folio"] == document.folio
    assert signed.data["terms"] == CURRENT_VERSIONS[TermsKind.CONTRASENA]
    assert signed.data["certificate_number"] == document.certificate_number


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_validar_counts_wrong_efirma_passwords_and_then_waits(
    portal: Engine, company: Company
) -> None:
    wrong = replace(company, efirma_password="no es la contraseña")
    counts = row_counts(portal)
    with pytest.raises(EFirmaRefused) as refused:
        _validar(portal, wrong)
    assert refused.value.reason is EFirmaReason.KEY_UNREADABLE
    # Only the count stays (per account and address, and per address): not the folio the
    # refused «Validar» had taken.
    assert row_counts(portal) == {**counts, "sign_in_failures": counts["sign_in_failures"] + 2}
    for _ in range(ACCOUNT_LIMIT - 1):
        with pytest.raises(EFirmaRefused):
            _validar(portal, wrong)
    with pytest.raises(Throttled):
        _validar(portal, company)
    with Session(portal) as session:
        assert session.exec(select(PendingSignature)).all() == []
    assert _sia_actions(portal, company) == []
    with travel_to(utcnow() + timedelta(minutes=16)):
        _validar(portal, company)


def test_a_recovery_in_a_tab_opened_before_another_recovery_emails_the_password_it_stores(
    portal: Engine, company: Company, captcha_texts: list[str]
) -> None:
    generate_password(portal, company)
    first, first_answer = _challenge(portal), captcha_texts[-1]
    second, second_answer = _challenge(portal), captcha_texts[-1]
    with Session(portal, expire_on_commit=False) as tab:
        account, organization = loaded(tab, company)
        tab.commit()  # as review.deps.release() does
        _recover(portal, company, first, first_answer)  # the other tab, meanwhile
        recover_password(
            tab, account, organization, captcha_token=second, captcha_answer=second_answer
        )
        tab.commit()
    stored = _organization(portal, company)
    assert stored.sia_password_hash is not None
    last = emails(portal, "contrasena_recuperada")[-1]
    # The password in force is the one last emailed …
    assert verify_password(emailed_password(last), stored.sia_password_hash)
    # … each change bumped the version (sandbox sessions of the first recovered one end) …
    assert stored.sia_password_version == 3
    # … and each recovery sent its own email.
    assert len(emails(portal, "contrasena_recuperada")) == 2
