"""The password and the private key never reach a log, an exception or a ``repr``; the key is
not returned by signing."""

from __future__ import annotations

import base64
import dataclasses
import logging
import traceback

import pytest
from cryptography.hazmat.primitives import serialization

from efirma.errors import EFirmaError
from efirma.signing import SignedCadena, sign_with_efirma
from efirma.trust import TrustStore
from efirma.validation import validate_efirma
from tests.efirma.factory import (
    BRANCH,
    COMPANY_RFC,
    EXPIRED,
    NOW,
    OTHER_RFC,
    PASSWORD,
    Files,
    Lab,
    company_subject,
)

SECRET_PASSWORD = "Marcador-de-contraseña-7f3a"


def _markers(lab: Lab) -> list[str]:
    """What would betray the key: its private exponent and primes, in decimal and hex, and
    pieces of its PKCS#8, in base64 and hex."""
    numbers = lab.company_key.private_numbers()
    plain = lab.company_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    encrypted = lab.key_file(lab.company_key, SECRET_PASSWORD)
    texts = [str(numbers.d)[:24], format(numbers.d, "x")[:24], str(numbers.p)[:24]]
    texts += [base64.b64encode(plain[200:240]).decode(), plain[200:220].hex()]
    texts += [base64.b64encode(encrypted[100:140]).decode(), encrypted[100:120].hex()]
    return [SECRET_PASSWORD, SECRET_PASSWORD.encode("utf-8").hex(), *texts]


def _attempts(lab: Lab) -> list[tuple[Files, str]]:
    """Every outcome, with the secret password: success and each kind of refusal."""
    secret = SECRET_PASSWORD
    return [
        (lab.efirma(password=secret), secret),
        (lab.efirma(password=secret), secret + "x"),  # wrong password
        (lab.efirma(password=secret, key_file_of=lab.other_key), secret),
        (lab.efirma(password=secret, validity=EXPIRED), secret),
        (lab.efirma(password=secret, authority=lab.stranger), secret),
        (lab.efirma(company_subject(branch=BRANCH), password=secret), secret),
        (lab.efirma(company_subject(OTHER_RFC), password=secret), secret),
    ]


def _outcomes(files: Files, password: str, trust: TrustStore) -> list[object]:
    """What validating and signing give back: a result, or the refusal."""
    found: list[object] = []
    rfc = COMPANY_RFC
    try:
        found.append(
            validate_efirma(files.cer, files.key, password, trust=trust, expected_rfc=rfc, now=NOW)
        )
    except EFirmaError as exc:
        found.append(exc)
    try:
        found.append(
            sign_with_efirma(
                files.cer, files.key, password, "||c||", trust=trust, expected_rfc=rfc, now=NOW
            )
        )
    except EFirmaError as exc:
        found.append(exc)
    return found


def test_no_secret_in_logs_exceptions_or_reprs(lab: Lab, trust: TrustStore, caplog):
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for files, password in _attempts(lab):
            for outcome in _outcomes(files, password, trust):
                seen += [str(outcome), repr(outcome)]
                if isinstance(outcome, EFirmaError):
                    # cryptography's own exception, if any, is not chained for display.
                    assert outcome.__cause__ is None
                    assert outcome.__suppress_context__ or outcome.__context__ is None
                    seen.append("".join(traceback.format_exception(outcome)))
                    seen += [repr(outcome.args), repr(vars(outcome))]
    seen.append(caplog.text)
    seen += [record.getMessage() + repr(record.args) for record in caplog.records]
    text = "\n".join(seen)
    assert "EFirmaError('key_unreadable')" in text  # the refusals were seen
    assert "SignedCadena(" in text  # and the successes
    for marker in _markers(lab):
        assert marker not in text, marker


def test_signing_returns_facts_and_sello_but_no_key(lab: Lab, trust):
    files = lab.efirma()
    signed = sign_with_efirma(
        files.cer, files.key, PASSWORD, "||c||", trust=trust, expected_rfc=None, now=NOW
    )
    assert [field.name for field in dataclasses.fields(SignedCadena)] == [
        "efirma",
        "cadena",
        "sello",
    ]
    assert [field.name for field in dataclasses.fields(signed.efirma)] == [
        "rfc",
        "representative_rfc",
        "curp",
        "name",
        "certificate_number",
        "not_before",
        "not_after",
        "certificate",
    ]


@pytest.mark.parametrize("password", [SECRET_PASSWORD, ""])
def test_the_refusal_for_a_wrong_password_names_neither(lab: Lab, password):
    from efirma.key import load_private_key

    with pytest.raises(EFirmaError) as refused:
        load_private_key(lab.key_file(lab.company_key), password)
    rendered = "".join(traceback.format_exception(refused.value))
    assert SECRET_PASSWORD not in rendered
    assert "During handling of the above exception" not in rendered
