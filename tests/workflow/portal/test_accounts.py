"""Company accounts in the portal (workflow.portal.accounts): registration with the e.firma,
the emailed confirmation link, sign-in and browser sessions."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core import config
from core.clock import travel_to, utcnow
from core.security import verify_password
from efirma.errors import EFirmaReason
from schema import AuditEvent, CompanyAccount, CompanySession, Organization, SignInFailure
from tests.efirma.factory import (
    EXPIRED,
    PASSWORD,
    Lab,
    company_subject,
    person_subject,
)
from tests.workflow.portal.helpers import (
    ADDRESS,
    DESARROLLADOR_NAME,
    DESARROLLADOR_RFC,
    EMAIL,
    NRP,
    OTHER_EMAIL,
    OTHER_NRP,
    OTHER_RFC,
    PATRON_NAME,
    PATRON_RFC,
    PERSON_RFC,
    PORTAL_PASSWORD,
    USER_AGENT,
    Company,
    D,
    P,
    efirma_of,
    emails,
    form,
    link_token,
    loaded,
    register_company,
    row_counts,
)
from workflow.portal.accounts import (
    CONFIRMATION_HOURS,
    Registration,
    authenticate_company,
    confirm_email,
    end_company_session,
    open_company_session,
    register,
    resume_company_session,
    sign_in_attempt,
)
from workflow.portal.efirma import trust_store
from workflow.refusals import AccountReason, AccountRefused, EFirmaRefused, EFirmaSetupReason
from workflow.throttle import ACCOUNT_LIMIT, Attempt, Door, Throttled, recent_failures, throttled

A = AccountReason
E = EFirmaReason


def _register(
    engine: Engine,
    registration: Registration,
    cer: bytes,
    key: bytes,
    efirma_password: str = PASSWORD,
) -> None:
    with Session(engine) as session:
        register(
            session,
            registration,
            cer=cer,
            key=key,
            efirma_password=efirma_password,
            address=ADDRESS,
        )
        session.commit()


def _refused(engine: Engine, registration: Registration, cer: bytes, key: bytes) -> AccountRefused:
    with pytest.raises(AccountRefused) as refused:
        _register(engine, registration, cer, key)
    return refused.value


def _confirm(engine: Engine, token: str) -> CompanyAccount:
    with Session(engine, expire_on_commit=False) as session:
        account = confirm_email(session, token)
        session.commit()
        return account


def _confirm_refused(engine: Engine, token: str) -> AccountRefused:
    with Session(engine) as session, pytest.raises(AccountRefused) as refused:
        confirm_email(session, token)
    return refused.value


def _back_office_vendor(engine: Engine, rfc: str = DESARROLLADOR_RFC) -> int:
    """A desarrollador the back office knows (a certification request), with no account."""
    with Session(engine) as session:
        vendor = Organization(
            kind=D,
            rfc=rfc,
            razon_social="Nóminas (como lo escribió)",
            email="viejo@nominas.example",
        )
        session.add(vendor)
        session.commit()
        assert vendor.id is not None
        return vendor.id


def _actions(engine: Engine, organization_id: int) -> list[str]:
    with Session(engine) as session:
        return [
            event.action
            for event in session.exec(
                select(AuditEvent)
                .where(
                    AuditEvent.entity_type == "organization",
                    AuditEvent.entity_id == organization_id,
                )
                .order_by(col(AuditEvent.id))
            )
        ]


# --- registration ------------------------------------------------------------------------------


def test_a_patron_registers_with_its_nrp_and_rfc(portal: Engine, lab: Lab) -> None:
    files = efirma_of(lab, PATRON_RFC, PATRON_NAME)
    _register(
        portal,
        form(P, f" {PATRON_RFC.lower()} ", NRP.lower(), email=" Contacto@Nominas.Example "),
        files.cer,
        files.key,
    )
    with Session(portal) as session:
        organization = session.exec(select(Organization)).one()
        account = session.exec(select(CompanyAccount)).one()
        assert organization.kind is P
        assert (organization.rfc, organization.nrp) == (PATRON_RFC, NRP)
        assert organization.razon_social == PATRON_NAME  # the certificate's, as SAT has it
        assert organization.email == EMAIL
        assert organization.sia_password_hash is None and organization.sia_password_version == 0
        assert account.organization_id == organization.id
        assert account.email == EMAIL and account.is_active
        assert account.email_confirmed_at is None
        assert verify_password(PORTAL_PASSWORD, account.password_hash)
        assert account.password_hash != PORTAL_PASSWORD
        assert len(account.certificate_number) == 20
        assert organization.id is not None
        organization_id = organization.id
    (email,) = emails(portal, "cuenta_confirmacion")
    assert email.recipients == [EMAIL]
    assert email.context["rfc"] == PATRON_RFC and email.context["razon_social"] == PATRON_NAME
    assert email.context["enlace"].startswith(
        f"{config.get_settings().portal_url}/confirmar?token="
    )
    assert _actions(portal, organization_id) == ["portal.account_registered"]


def test_a_desarrollador_registers_with_its_rfc_alone(portal: Engine, lab: Lab) -> None:
    files = efirma_of(lab, DESARROLLADOR_RFC)
    _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key)
    with Session(portal) as session:
        organization = session.exec(select(Organization)).one()
        account = session.exec(select(CompanyAccount)).one()
        assert organization.kind is D and organization.rfc == DESARROLLADOR_RFC
        assert organization.nrp is None
        assert organization.razon_social == DESARROLLADOR_NAME
        assert account.email_confirmed_at is None
    assert len(emails(portal, "cuenta_confirmacion")) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_person_registers_as_desarrollador_with_its_name(portal: Engine, lab: Lab) -> None:
    files = lab.efirma(
        person_subject(rfc=PERSON_RFC, name="GÓMEZ DÍAZ ESTEBAN"), key=lab.person_key
    )
    _register(portal, form(D, PERSON_RFC), files.cer, files.key)
    with Session(portal) as session:
        organization = session.exec(select(Organization)).one()
        assert organization.razon_social == "GÓMEZ DÍAZ ESTEBAN"


def test_the_link_confirms_the_account_and_the_email_becomes_the_organizations(
    portal: Engine, lab: Lab
) -> None:
    vendor_id = _back_office_vendor(portal)
    company = register_company(portal, lab, confirm=False)
    assert company.organization_id == vendor_id
    with Session(portal) as session:
        _, organization = loaded(session, company)
        assert organization.email == "viejo@nominas.example"  # until the link is opened
    token = link_token(emails(portal, "cuenta_confirmacion")[0])
    before = utcnow()
    account = _confirm(portal, token)
    assert account.id == company.account_id
    assert account.email_confirmed_at is not None and account.email_confirmed_at >= before
    with Session(portal) as session:
        account, organization = loaded(session, company)
        assert organization.email == EMAIL
        confirmed_at = account.email_confirmed_at
    # A second click on the same link confirms nothing new and is no error.
    counts = row_counts(portal)
    again = _confirm(portal, token)
    assert again.email_confirmed_at == confirmed_at
    assert row_counts(portal) == counts
    assert _actions(portal, vendor_id) == ["portal.account_registered", "portal.email_confirmed"]


def test_the_link_of_an_earlier_registration_with_another_email_is_refused(
    portal: Engine, lab: Lab
) -> None:
    company = register_company(portal, lab, email=OTHER_EMAIL, confirm=False)
    again = register_company(portal, lab, email=EMAIL, confirm=False)
    assert again.account_id == company.account_id  # the same account, re-registered
    first, second = emails(portal, "cuenta_confirmacion")
    assert (first.recipients, second.recipients) == ([OTHER_EMAIL], [EMAIL])
    refusal = _confirm_refused(portal, link_token(first))
    assert refusal.reason is A.INVALID_LINK
    with Session(portal) as session:
        account, _ = loaded(session, company)
        assert account.email_confirmed_at is None and account.email == EMAIL
    assert _confirm(portal, link_token(second)).email == EMAIL


def test_an_expired_or_forged_link_is_refused(
    portal: Engine, lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = CONFIRMATION_HOURS * 3600 + 60
    with monkeypatch.context() as past:
        # The link is signed as if the registration happened 48 hours and a minute ago.
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - late)
        company = register_company(portal, lab, confirm=False)
    token = link_token(emails(portal, "cuenta_confirmacion")[0])
    counts = row_counts(portal)
    assert _confirm_refused(portal, token).reason is A.EXPIRED_LINK
    assert _confirm_refused(portal, token[:-2] + "xx").reason is A.INVALID_LINK
    assert _confirm_refused(portal, "no-es-un-token").reason is A.INVALID_LINK
    assert row_counts(portal) == counts
    with Session(portal) as session:
        account, _ = loaded(session, company)
        assert account.email_confirmed_at is None


@pytest.mark.parametrize(
    ("registration", "reason"),
    [
        (form("empresa"), A.INVALID_KIND),
        (form(D, "CAC840428RH2"), A.INVALID_RFC),  # wrong check digit
        (form(D, "NO ES RFC"), A.INVALID_RFC),
        (form(P, PATRON_RFC, "  "), A.NRP_REQUIRED),
        (form(P, PATRON_RFC, "Y541234510"), A.INVALID_NRP),
        (form(D, DESARROLLADOR_RFC, "NRP-INVALIDO"), A.INVALID_NRP),
        (form(email="sin-arroba"), A.INVALID_EMAIL),
        (form(email="a@b.example, c@d.example"), A.INVALID_EMAIL),
        (form(password="corta"), A.WEAK_CREDENTIAL),
        (form(password="x" * 1025), A.WEAK_CREDENTIAL),
        (form(again=PORTAL_PASSWORD + "!"), A.PASSWORDS_DIFFER),
    ],
    ids=lambda value: value.value if isinstance(value, AccountReason) else None,
)
def test_a_bad_field_is_refused_and_nothing_is_stored(
    portal: Engine, lab: Lab, registration: Registration, reason: AccountReason
) -> None:
    files = efirma_of(lab, DESARROLLADOR_RFC)
    counts = row_counts(portal)
    assert _refused(portal, registration, files.cer, files.key).reason is reason
    assert row_counts(portal) == counts


def test_an_existing_desarrollador_without_account_gets_one(portal: Engine, lab: Lab) -> None:
    vendor_id = _back_office_vendor(portal)
    organizations = row_counts(portal)["organizations"]
    company = register_company(portal, lab, nrp=NRP)
    assert company.organization_id == vendor_id
    assert row_counts(portal)["organizations"] == organizations
    with Session(portal) as session:
        account, organization = loaded(session, company)
        assert organization.razon_social == DESARROLLADOR_NAME  # now the certificate's
        assert organization.nrp == NRP  # it had none: the one registered is kept
        assert account.email_confirmed_at is not None


def test_a_confirmed_account_cannot_register_again(portal: Engine, lab: Lab) -> None:
    register_company(portal, lab)
    files = efirma_of(lab, DESARROLLADOR_RFC)
    counts = row_counts(portal)
    refusal = _refused(portal, form(D, DESARROLLADOR_RFC, email=OTHER_EMAIL), files.cer, files.key)
    assert refusal.reason is A.ALREADY_REGISTERED
    assert row_counts(portal) == counts


def test_an_nrp_held_by_another_rfc_is_taken(portal: Engine, lab: Lab) -> None:
    register_company(portal, lab, kind=P, rfc=PATRON_RFC, nrp=NRP, name=PATRON_NAME)
    other = efirma_of(lab, OTHER_RFC)
    counts = row_counts(portal)
    for registration in (form(P, OTHER_RFC, NRP), form(D, OTHER_RFC, NRP)):
        assert _refused(portal, registration, other.cer, other.key).reason is A.NRP_TAKEN
    assert row_counts(portal) == counts


def test_two_nrps_of_one_rfc_are_two_patrones(portal: Engine, lab: Lab) -> None:
    first = register_company(portal, lab, kind=P, rfc=PATRON_RFC, nrp=NRP, name=PATRON_NAME)
    second = register_company(
        portal, lab, kind=P, rfc=PATRON_RFC, nrp=OTHER_NRP, name=PATRON_NAME, email=OTHER_EMAIL
    )
    assert first.organization_id != second.organization_id
    assert first.account_id != second.account_id
    with Session(portal) as session:
        patrones = session.exec(select(Organization).order_by(col(Organization.id))).all()
        assert [(o.kind, o.rfc, o.nrp) for o in patrones] == [
            (P, PATRON_RFC, NRP),
            (P, PATRON_RFC, OTHER_NRP),
        ]


# --- the e.firma -------------------------------------------------------------------------------

# (cer, key, password) of an e.firma that fails for more than one reason: the first in DOMAIN
# §11's order is the one reported.
Handed = tuple[bytes, bytes, str]


def _unreadable_certificate_and_wrong_password(lab: Lab) -> Handed:
    return b"-----BEGIN CERTIFICATE-----\nbasura\n", efirma_of(lab, DESARROLLADOR_RFC).key, "otra"


def _wrong_password_and_other_pair(lab: Lab) -> Handed:
    files = efirma_of(lab, OTHER_RFC, key_file_of=lab.other_key, validity=EXPIRED)
    return files.cer, files.key, "otra contraseña"


def _other_pair_and_expired(lab: Lab) -> Handed:
    files = efirma_of(lab, OTHER_RFC, key_file_of=lab.other_key, validity=EXPIRED)
    return files.cer, files.key, PASSWORD


def _expired_and_other_rfc(lab: Lab) -> Handed:
    files = efirma_of(lab, OTHER_RFC, validity=EXPIRED)
    return files.cer, files.key, PASSWORD


def _expired_untrusted_csd_of_other_rfc(lab: Lab) -> Handed:
    subject = company_subject(rfc=OTHER_RFC, branch="Sucursal Centro")
    files = lab.efirma(subject, validity=EXPIRED, authority=lab.stranger)
    return files.cer, files.key, PASSWORD


def _not_yet_valid_and_untrusted(lab: Lab) -> Handed:
    # The factory's NOT_YET_VALID is relative to its fixed NOW; this one is to the real clock.
    since = utcnow() + timedelta(days=30)
    validity = (since, since + timedelta(days=4 * 365))
    files = efirma_of(lab, OTHER_RFC, validity=validity, authority=lab.stranger)
    return files.cer, files.key, PASSWORD


def _untrusted_csd(lab: Lab) -> Handed:
    subject = company_subject(rfc=OTHER_RFC, branch="Sucursal Centro")
    files = lab.efirma(subject, authority=lab.stranger)
    return files.cer, files.key, PASSWORD


def _impostor_authority(lab: Lab) -> Handed:
    files = efirma_of(lab, DESARROLLADOR_RFC, authority=lab.impostor)
    return files.cer, files.key, PASSWORD


def _csd_of_other_rfc(lab: Lab) -> Handed:
    files = lab.efirma(company_subject(rfc=OTHER_RFC, branch="Sucursal Centro"))
    return files.cer, files.key, PASSWORD


def _other_rfc(lab: Lab) -> Handed:
    files = efirma_of(lab, OTHER_RFC)
    return files.cer, files.key, PASSWORD


@pytest.mark.parametrize(
    ("handed", "reason"),
    [
        (_unreadable_certificate_and_wrong_password, E.CERTIFICATE_UNREADABLE),
        (_wrong_password_and_other_pair, E.KEY_UNREADABLE),
        (_other_pair_and_expired, E.PAIR_MISMATCH),
        (_expired_and_other_rfc, E.EXPIRED),
        (_expired_untrusted_csd_of_other_rfc, E.EXPIRED),
        (_not_yet_valid_and_untrusted, E.NOT_YET_VALID),
        (_untrusted_csd, E.UNTRUSTED_ISSUER),
        (_impostor_authority, E.UNTRUSTED_ISSUER),
        (_csd_of_other_rfc, E.CSD_NOT_FIEL),
        (_other_rfc, E.RFC_MISMATCH),
    ],
    ids=lambda value: value.value if isinstance(value, EFirmaReason) else value.__name__[1:],
)
def test_a_bad_efirma_is_refused_with_the_first_reason_and_nothing_is_stored(
    portal: Engine, lab: Lab, handed: Callable[[Lab], Handed], reason: EFirmaReason
) -> None:
    cer, key, password = handed(lab)
    counts = row_counts(portal)
    with pytest.raises(EFirmaRefused) as refused:
        _register(portal, form(D, DESARROLLADOR_RFC), cer, key, password)
    assert refused.value.reason is reason
    assert str(refused.value)  # its own Spanish message
    after = row_counts(portal)
    # Only a wrong key password is counted, to throttle guessing (one row per account and
    # address, one per address).
    failures = 2 if reason is E.KEY_UNREADABLE else 0
    assert after == {**counts, "sign_in_failures": counts["sign_in_failures"] + failures}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_without_a_trust_store_no_efirma_can_be_checked(settings, engine: Engine, lab: Lab) -> None:
    assert settings.efirma_trust_dir is None
    files = efirma_of(lab, DESARROLLADOR_RFC)
    counts = row_counts(engine)
    with pytest.raises(EFirmaRefused) as refused:
        _register(engine, form(D, DESARROLLADOR_RFC), files.cer, files.key)
    assert refused.value.reason is EFirmaSetupReason.TRUST_NOT_CONFIGURED
    assert "SIA_EFIRMA_TRUST_DIR" in str(refused.value)
    assert row_counts(engine) == counts


def test_five_wrong_efirma_passwords_throttle_the_sixth_attempt(portal: Engine, lab: Lab) -> None:
    files = efirma_of(lab, DESARROLLADOR_RFC)
    for attempt in range(ACCOUNT_LIMIT):
        with pytest.raises(EFirmaRefused) as refused:
            _register(
                portal, form(D, DESARROLLADOR_RFC), files.cer, files.key, f"intento {attempt}"
            )
        assert refused.value.reason is E.KEY_UNREADABLE
    with pytest.raises(Throttled) as throttled:
        _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key, PASSWORD)
    assert throttled.value.seconds > 0 and "Demasiados intentos" in str(throttled.value)
    with Session(portal) as session:
        assert session.exec(select(Organization)).all() == []
        # Counted per RFC (and address), not per email: the guesser gains nothing by changing it.
        keys = {row.key for row in session.exec(select(SignInFailure))}
        assert f"efirma:{DESARROLLADOR_RFC}|ip:{ADDRESS}" in keys
    with pytest.raises(Throttled):
        _register(portal, form(D, DESARROLLADOR_RFC, email=OTHER_EMAIL), files.cer, files.key)
    # The window passes: the right password is taken again.
    with travel_to(utcnow() + timedelta(minutes=16)):
        _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key)
    with Session(portal) as session:
        assert len(session.exec(select(CompanyAccount)).all()) == 1


def test_a_right_efirma_password_clears_the_count_of_wrong_ones(portal: Engine, lab: Lab) -> None:
    files = efirma_of(lab, DESARROLLADOR_RFC)
    for tried in range(ACCOUNT_LIMIT - 1):
        with pytest.raises(EFirmaRefused):
            _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key, f"typo {tried}")
    _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key)
    with Session(portal) as session:
        attempt = Attempt(Door.EFIRMA, DESARROLLADOR_RFC, ADDRESS)
        assert recent_failures(session, attempt, utcnow()) == 0
    # So a typo afterwards is one failure, not the one that locks the company out.
    with pytest.raises(EFirmaRefused) as refused:
        _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key, "otro typo")
    assert refused.value.reason is E.KEY_UNREADABLE


def test_wrong_efirma_passwords_are_counted_for_a_captcha(portal: Engine, lab: Lab) -> None:
    files = efirma_of(lab, DESARROLLADOR_RFC)
    attempt = Attempt(Door.EFIRMA, DESARROLLADOR_RFC, ADDRESS)
    for tried in range(3):
        with pytest.raises(EFirmaRefused):
            _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key, f"mal {tried}")
    now = utcnow()
    with Session(portal) as session:
        assert recent_failures(session, attempt, now) == 3
        assert (
            recent_failures(session, Attempt(Door.EFIRMA, DESARROLLADOR_RFC, "10.1.1.1"), now) == 0
        )
        assert recent_failures(session, Attempt(Door.PORTAL, DESARROLLADOR_RFC, ADDRESS), now) == 0
        assert recent_failures(session, attempt, now + timedelta(minutes=16)) == 0
    # A wrong password of another company's key is not counted against this one.
    other = efirma_of(lab, OTHER_RFC)
    with pytest.raises(EFirmaRefused):
        _register(portal, form(D, OTHER_RFC), other.cer, other.key, "mal")
    with Session(portal) as session:
        assert recent_failures(session, attempt, utcnow()) == 3


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_trust_store_is_read_again_when_its_folder_changes(
    portal: Engine, lab: Lab, trust_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "confianza"
    shutil.copytree(trust_dir, folder)
    monkeypatch.setenv("SIA_EFIRMA_TRUST_DIR", str(folder))
    config.get_settings.cache_clear()
    files = efirma_of(lab, DESARROLLADOR_RFC)
    assert trust_store().trusts(files.certificate)
    time.sleep(0.05)  # past the file system's clock tick: the folder's mtime moves
    (folder / "intermedia.pem").unlink()
    assert not trust_store().trusts(files.certificate)
    with pytest.raises(EFirmaRefused) as refused:
        _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key)
    assert refused.value.reason is E.UNTRUSTED_ISSUER
    time.sleep(0.05)
    shutil.copy(trust_dir / "intermedia.pem", folder / "sat.pem")
    _register(portal, form(D, DESARROLLADOR_RFC), files.cer, files.key)
    time.sleep(0.05)
    for child in folder.iterdir():
        child.unlink()
    with pytest.raises(EFirmaRefused) as refused:
        _register(portal, form(D, DESARROLLADOR_RFC, email=OTHER_EMAIL), files.cer, files.key)
    assert refused.value.reason is EFirmaSetupReason.TRUST_NOT_CONFIGURED


# --- sign-in and sessions ----------------------------------------------------------------------


def _authenticate(
    engine: Engine, identifier: str, email: str = EMAIL, password: str = PORTAL_PASSWORD
) -> tuple[CompanyAccount, Organization] | None:
    with Session(engine, expire_on_commit=False) as session:
        return authenticate_company(session, identifier, email, password)


def test_a_patron_signs_in_with_its_nrp_and_not_its_rfc(portal: Engine, lab: Lab) -> None:
    company = register_company(portal, lab, kind=P, rfc=PATRON_RFC, nrp=NRP, name=PATRON_NAME)
    found = _authenticate(portal, f" {NRP.lower()} ", " Contacto@Nominas.Example ")
    assert found is not None
    account, organization = found
    assert (account.id, organization.id) == (company.account_id, company.organization_id)
    assert _authenticate(portal, PATRON_RFC) is None


def test_a_desarrollador_signs_in_with_its_rfc_or_its_nrp(portal: Engine, lab: Lab) -> None:
    company = register_company(portal, lab, nrp=NRP)
    for identifier in (DESARROLLADOR_RFC, DESARROLLADOR_RFC.lower(), NRP):
        found = _authenticate(portal, identifier)
        assert found is not None and found[0].id == company.account_id


def test_wrong_email_password_or_an_inactive_account_sign_in_nobody(
    portal: Engine, lab: Lab
) -> None:
    company = register_company(portal, lab)
    assert _authenticate(portal, DESARROLLADOR_RFC, email=OTHER_EMAIL) is None
    assert _authenticate(portal, DESARROLLADOR_RFC, password=PORTAL_PASSWORD + "x") is None
    assert _authenticate(portal, OTHER_RFC) is None
    assert _authenticate(portal, OTHER_NRP) is None
    with Session(portal) as session:
        account, _ = loaded(session, company)
        account.is_active = False
        session.add(account)
        session.commit()
    assert _authenticate(portal, DESARROLLADOR_RFC) is None


def _open(engine: Engine, company: Company) -> str:
    with Session(engine) as session:
        account, _ = loaded(session, company)
        opened = open_company_session(session, account, address=ADDRESS, user_agent=USER_AGENT)
        session.commit()
        return opened.cookie


def _resume(engine: Engine, cookie: str) -> int | None:
    """The account id the cookie resumes, or None."""
    with Session(engine) as session:
        signed_in = resume_company_session(session, cookie)
        return None if signed_in is None else signed_in.account.id


def test_a_session_opens_resumes_and_ends(portal: Engine, lab: Lab) -> None:
    company = register_company(portal, lab)
    cookie = _open(portal, company)
    with Session(portal) as session:
        signed_in = resume_company_session(session, cookie)
        assert signed_in is not None
        assert signed_in.organization.id == company.organization_id
        assert signed_in.row.address == ADDRESS and signed_in.row.id != cookie  # only a digest
        end_company_session(session, signed_in.row, signed_in.account)
        session.commit()
    assert _resume(portal, cookie) is None
    assert _resume(portal, "") is None and _resume(portal, "otra-cookie") is None
    with Session(portal) as session:
        account, _ = loaded(session, company)
        assert account.last_login_at is not None
        assert len(session.exec(select(CompanySession)).all()) == 1
    assert _actions(portal, company.organization_id)[-2:] == [
        "portal.signed_in",
        "portal.signed_out",
    ]
    assert _resume(portal, _open(portal, company)) == company.account_id  # a new sign-in


def test_an_unconfirmed_accounts_cookie_does_not_resume(portal: Engine, lab: Lab) -> None:
    company = register_company(portal, lab, confirm=False)
    cookie = _open(portal, company)
    assert _resume(portal, cookie) is None
    _confirm(portal, link_token(emails(portal, "cuenta_confirmacion")[0]))
    assert _resume(portal, cookie) == company.account_id


def test_a_deactivated_accounts_cookie_stops_resuming(portal: Engine, lab: Lab) -> None:
    company = register_company(portal, lab)
    cookie = _open(portal, company)
    with Session(portal) as session:
        account, _ = loaded(session, company)
        account.is_active = False
        session.add(account)
        session.commit()
    assert _resume(portal, cookie) is None


def test_an_idle_session_ends(portal: Engine, lab: Lab) -> None:
    company = register_company(portal, lab)
    idle = timedelta(minutes=config.get_settings().staff_idle_minutes)
    opened_at = utcnow()
    cookie = _open(portal, company)
    with travel_to(opened_at + idle - timedelta(minutes=1)):
        assert _resume(portal, cookie) == company.account_id  # and touched
    with travel_to(opened_at + 2 * idle - timedelta(minutes=3)):
        assert _resume(portal, cookie) == company.account_id
    with travel_to(opened_at + 3 * idle):
        assert _resume(portal, cookie) is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_idle_limit_comes_from_the_settings(
    portal: Engine, lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIA_STAFF_IDLE_MINUTES", "5")
    config.get_settings.cache_clear()
    company = register_company(portal, lab)
    opened_at = utcnow()
    cookie = _open(portal, company)
    with travel_to(opened_at + timedelta(minutes=4)):
        assert _resume(portal, cookie) == company.account_id
    with travel_to(opened_at + timedelta(minutes=9, seconds=30)):
        assert _resume(portal, cookie) is None


def test_wrong_portal_passwords_throttle_the_sign_in(portal: Engine, lab: Lab) -> None:
    register_company(portal, lab)
    attempt = sign_in_attempt(
        f" {DESARROLLADOR_RFC.lower()} ", " Contacto@Nominas.Example", ADDRESS
    )
    assert attempt == sign_in_attempt(DESARROLLADOR_RFC, EMAIL, ADDRESS)
    with Session(portal) as session:
        for _ in range(ACCOUNT_LIMIT):
            check = partial(authenticate_company, session, DESARROLLADOR_RFC, EMAIL, "equivocada")
            assert throttled(session, attempt, check) is None
        right = partial(authenticate_company, session, DESARROLLADOR_RFC, EMAIL, PORTAL_PASSWORD)
        with pytest.raises(Throttled):
            throttled(session, attempt, right)
        # The e.firma's count is another door's.
        efirma = Attempt(Door.EFIRMA, DESARROLLADOR_RFC, ADDRESS)
        assert recent_failures(session, efirma, utcnow()) == 0
