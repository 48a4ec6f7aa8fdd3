"""An e.firma is valid for an account (DOMAIN §11), or refused with the first failure in §11's
order, each with its own Spanish message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from efirma.errors import MESSAGES, EFirmaError, EFirmaReason
from efirma.trust import TrustStore
from efirma.validation import EFirma, normalized_rfc, validate_efirma
from tests.efirma.factory import (
    BRANCH,
    COMPANY_NAME,
    COMPANY_RFC,
    EXPIRED,
    NOT_YET_VALID,
    NOW,
    OTHER_RFC,
    PASSWORD,
    PERSON_CURP,
    PERSON_NAME,
    PERSON_RFC,
    REPRESENTATIVE_CURP,
    REPRESENTATIVE_RFC,
    VALID_FROM,
    VALID_UNTIL,
    Files,
    Lab,
    company_subject,
    openssl_pkcs8,
    pem,
    person_subject,
)

R = EFirmaReason


def _validate(
    files: Files,
    trust: TrustStore,
    *,
    password: str = PASSWORD,
    rfc: str | None = COMPANY_RFC,
    now: datetime = NOW,
) -> EFirma:
    return validate_efirma(files.cer, files.key, password, trust=trust, expected_rfc=rfc, now=now)


def _refusal(files: Files, trust: TrustStore, **kwargs) -> EFirmaError:
    with pytest.raises(EFirmaError) as refused:
        _validate(files, trust, **kwargs)
    return refused.value


def test_a_company_efirma_is_valid(lab: Lab, trust: TrustStore):
    files = lab.efirma()
    found = _validate(files, trust)
    assert found.rfc == COMPANY_RFC
    assert found.representative_rfc == REPRESENTATIVE_RFC
    assert found.curp == REPRESENTATIVE_CURP
    assert found.name == COMPANY_NAME
    assert len(found.certificate_number) == 20 and found.certificate_number.isdigit()
    assert (found.not_before, found.not_after) == (VALID_FROM, VALID_UNTIL)
    assert found.certificate == files.certificate
    assert found.certificate_der == files.cer


def test_a_person_efirma_is_valid(lab: Lab, trust: TrustStore):
    files = lab.efirma(person_subject(), key=lab.person_key)
    found = _validate(files, trust, rfc=PERSON_RFC)
    assert (found.rfc, found.representative_rfc, found.curp, found.name) == (
        PERSON_RFC,
        None,
        PERSON_CURP,
        PERSON_NAME,
    )


def test_pem_files_and_a_3des_key_are_valid(lab: Lab, trust: TrustStore):
    files = lab.efirma()
    for key in (
        lab.key_file(lab.company_key, pem=True),
        openssl_pkcs8(lab.company_key, PASSWORD, "-v2", "des3", "-v2prf", "hmacWithSHA1"),
    ):
        as_pem = Files(pem(files.certificate), key, files.certificate)
        assert _validate(as_pem, trust).rfc == COMPANY_RFC


def test_without_an_expected_rfc_any_holder_is_valid(lab: Lab, trust: TrustStore):
    assert _validate(lab.efirma(company_subject(OTHER_RFC)), trust, rfc=None).rfc == OTHER_RFC


@pytest.mark.parametrize("rfc", ["aaa010101aaa", "  AAA010101AAA\n"])
def test_the_accounts_rfc_is_compared_as_the_certificate_spells_it(lab, trust, rfc):
    assert _validate(lab.efirma(), trust, rfc=rfc).rfc == COMPANY_RFC
    assert normalized_rfc(rfc) == COMPANY_RFC


def test_the_representatives_rfc_is_not_the_companys(lab: Lab, trust: TrustStore):
    assert _refusal(lab.efirma(), trust, rfc=REPRESENTATIVE_RFC).reason is R.RFC_MISMATCH


@pytest.mark.parametrize(
    "now",
    [VALID_FROM, VALID_UNTIL, VALID_FROM.astimezone(timezone(timedelta(hours=-6)))],
    ids=["first-moment", "last-moment", "other-zone"],
)
def test_both_ends_of_the_validity_are_inside_it(lab: Lab, trust: TrustStore, now):
    assert _validate(lab.efirma(), trust, now=now).rfc == COMPANY_RFC


def test_a_moment_without_a_zone_is_a_programming_error(lab: Lab, trust: TrustStore):
    with pytest.raises(ValueError):
        _validate(lab.efirma(), trust, now=datetime(2026, 3, 2))


# --- one refusal per failure, each with its own message -------------------------------------

MESSAGE = {
    R.CERTIFICATE_UNREADABLE: (
        "No se pudo leer el certificado (.cer). Verifique que sea el certificado de su e.firma, "
        "en formato DER o PEM."
    ),
    R.KEY_UNREADABLE: (
        "No se pudo abrir la clave privada (.key): la contraseña es incorrecta o el archivo no "
        "es una clave privada válida."
    ),
    R.PAIR_MISMATCH: "La clave privada (.key) no corresponde al certificado (.cer).",
    R.NOT_YET_VALID: "El certificado de la e.firma todavía no está vigente.",
    R.EXPIRED: "El certificado de la e.firma está vencido; renuévelo ante el SAT.",
    R.UNTRUSTED_ISSUER: (
        "El certificado no fue emitido por una autoridad certificadora reconocida del SAT."
    ),
    R.CSD_NOT_FIEL: (
        "El certificado es un Certificado de Sello Digital (CSD), no una e.firma. Use el "
        "certificado de su e.firma."
    ),
    R.RFC_MISMATCH: "La e.firma corresponde a otro RFC, no al de la cuenta.",
}


def test_every_reason_has_its_own_message():
    assert MESSAGES == MESSAGE
    assert len(set(MESSAGES.values())) == len(EFirmaReason)


def test_the_reasons_are_declared_in_the_order_they_are_checked():
    assert list(EFirmaReason) == [
        R.CERTIFICATE_UNREADABLE,
        R.KEY_UNREADABLE,
        R.PAIR_MISMATCH,
        R.NOT_YET_VALID,
        R.EXPIRED,
        R.UNTRUSTED_ISSUER,
        R.CSD_NOT_FIEL,
        R.RFC_MISMATCH,
    ]


def _unreadable_cer(lab: Lab) -> Files:
    files = lab.efirma()
    return Files(b"%PDF-1.7 no es un certificado", files.key, files.certificate)


def _mismatched(lab: Lab) -> Files:
    return lab.efirma(key_file_of=lab.other_key)


# One case per failure of §11, alone: (builder, validate() keywords, reason).
Case = tuple[Callable[[Lab], Files], dict[str, object], EFirmaReason]
SINGLE: dict[str, Case] = {
    "unreadable-certificate": (_unreadable_cer, {}, R.CERTIFICATE_UNREADABLE),
    "wrong-password": (lambda lab: lab.efirma(), {"password": "no es"}, R.KEY_UNREADABLE),
    "unreadable-key": (
        lambda lab: Files(lab.efirma().cer, b"\x30\x03\x02\x01\x00", lab.efirma().certificate),
        {},
        R.KEY_UNREADABLE,
    ),
    "mismatched-pair": (_mismatched, {}, R.PAIR_MISMATCH),
    "not-yet-valid": (lambda lab: lab.efirma(validity=NOT_YET_VALID), {}, R.NOT_YET_VALID),
    "expired": (lambda lab: lab.efirma(validity=EXPIRED), {}, R.EXPIRED),
    "untrusted-issuer": (lambda lab: lab.efirma(authority=lab.stranger), {}, R.UNTRUSTED_ISSUER),
    "borrowed-issuer-name": (
        lambda lab: lab.efirma(authority=lab.impostor),
        {},
        R.UNTRUSTED_ISSUER,
    ),
    "csd": (lambda lab: lab.efirma(company_subject(branch=BRANCH)), {}, R.CSD_NOT_FIEL),
    "another-companys-rfc": (
        lambda lab: lab.efirma(company_subject(OTHER_RFC)),
        {},
        R.RFC_MISMATCH,
    ),
}


@pytest.mark.parametrize(("make", "kwargs", "reason"), SINGLE.values(), ids=SINGLE.keys())
def test_each_failure_is_refused_with_its_own_message(lab, trust, make, kwargs, reason):
    refusal = _refusal(make(lab), trust, **kwargs)
    assert refusal.reason is reason
    assert str(refusal) == MESSAGE[reason]


def test_a_moment_moves_a_valid_efirma_to_not_yet_valid_or_expired(lab: Lab, trust):
    files = lab.efirma()
    early = _refusal(files, trust, now=VALID_FROM - timedelta(seconds=1))
    late = _refusal(files, trust, now=VALID_UNTIL + timedelta(seconds=1))
    assert (early.reason, late.reason) == (R.NOT_YET_VALID, R.EXPIRED)


# Several failures at once: the first in §11's order is reported.
SEVERAL: dict[str, Case] = {
    "unreadable-certificate+wrong-password": (
        _unreadable_cer,
        {"password": "no es"},
        R.CERTIFICATE_UNREADABLE,
    ),
    "wrong-password+mismatched-pair": (_mismatched, {"password": "no es"}, R.KEY_UNREADABLE),
    "mismatched-pair+expired+untrusted": (
        lambda lab: lab.efirma(key_file_of=lab.other_key, validity=EXPIRED, authority=lab.stranger),
        {},
        R.PAIR_MISMATCH,
    ),
    "expired+untrusted": (
        lambda lab: lab.efirma(validity=EXPIRED, authority=lab.stranger),
        {},
        R.EXPIRED,
    ),
    "not-yet-valid+csd+another-rfc": (
        lambda lab: lab.efirma(company_subject(OTHER_RFC, branch=BRANCH), validity=NOT_YET_VALID),
        {},
        R.NOT_YET_VALID,
    ),
    "untrusted+csd": (
        lambda lab: lab.efirma(company_subject(branch=BRANCH), authority=lab.stranger),
        {},
        R.UNTRUSTED_ISSUER,
    ),
    "csd+another-rfc": (
        lambda lab: lab.efirma(company_subject(OTHER_RFC, branch=BRANCH)),
        {},
        R.CSD_NOT_FIEL,
    ),
}


@pytest.mark.parametrize(("make", "kwargs", "reason"), SEVERAL.values(), ids=SEVERAL.keys())
def test_of_several_failures_the_first_in_order_is_reported(lab, trust, make, kwargs, reason):
    refusal = _refusal(make(lab), trust, **kwargs)
    assert refusal.reason is reason
    assert str(refusal) == MESSAGE[reason]


def test_the_validity_is_checked_against_the_moment_given(lab: Lab, trust: TrustStore):
    # The same expired e.firma was valid in its day: the caller's clock decides.
    files = lab.efirma(validity=EXPIRED)
    assert _validate(files, trust, now=datetime(2022, 1, 1, tzinfo=UTC)).rfc == COMPANY_RFC
