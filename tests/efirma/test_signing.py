"""The sello: RSA PKCS#1 v1.5 with SHA-256 over the cadena original's UTF-8, in base64; made only
with a valid e.firma, and verified against the certificate."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from efirma.errors import EFirmaError, EFirmaReason
from efirma.signing import sign_cadena, sign_with_efirma, verify_sello
from efirma.trust import TrustStore
from tests.efirma.factory import COMPANY_RFC, EXPIRED, NOW, PASSWORD, Lab, pem

CADENA = "||1.0|0500000001|2026-03-02T12:00:00|AAA010101AAA|ACCEM SERVICIOS EMPRESARIALES SC|Año||"


def _sign(lab: Lab, trust: TrustStore, cadena: str = CADENA, **kwargs):
    files = lab.efirma(**kwargs)
    return sign_with_efirma(
        files.cer, files.key, PASSWORD, cadena, trust=trust, expected_rfc=COMPANY_RFC, now=NOW
    )


def test_a_sello_made_with_an_efirma_verifies_against_its_certificate(lab: Lab, trust):
    signed = _sign(lab, trust)
    assert signed.cadena == CADENA
    assert signed.efirma.rfc == COMPANY_RFC
    assert verify_sello(signed.efirma.certificate, CADENA, signed.sello)


def test_the_sello_is_pkcs1_v15_with_sha256_over_utf8(lab: Lab, trust):
    signed = _sign(lab, trust)
    signature = base64.b64decode(signed.sello, validate=True)
    assert len(signature) == 256  # a 2048-bit key
    lab.company_key.public_key().verify(
        signature, CADENA.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
    )
    # PKCS#1 v1.5 is deterministic: the same cadena, the same sello.
    assert sign_cadena(lab.company_key, CADENA) == signed.sello


def test_openssl_verifies_the_sello_too(lab: Lab, trust, tmp_path: Path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl NOT FOUND: the independent check of the sello is skipped")
    signed = _sign(lab, trust)
    (tmp_path / "llave.pem").write_bytes(pem(signed.efirma.certificate))
    (tmp_path / "cadena.txt").write_bytes(CADENA.encode("utf-8"))
    (tmp_path / "sello.bin").write_bytes(base64.b64decode(signed.sello))
    public = subprocess.run(
        [openssl, "x509", "-in", "llave.pem", "-pubkey", "-noout"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    ).stdout
    (tmp_path / "publica.pem").write_bytes(public)
    verify = ("dgst", "-sha256", "-verify", "publica.pem", "-signature", "sello.bin")
    done = subprocess.run(
        [openssl, *verify, "cadena.txt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Verified OK" in done.stdout, done.stderr


@pytest.mark.parametrize(
    "cadena",
    [
        CADENA.replace("0500000001", "0500000002"),
        CADENA.replace("Año", "Ano"),
        CADENA + " ",
        "",
    ],
)
def test_a_tampered_cadena_is_refused(lab: Lab, trust, cadena):
    signed = _sign(lab, trust)
    assert not verify_sello(signed.efirma.certificate, cadena, signed.sello)


def test_a_tampered_or_malformed_sello_is_refused(lab: Lab, trust):
    signed = _sign(lab, trust)
    raw = bytearray(base64.b64decode(signed.sello))
    raw[10] ^= 0x01
    for sello in (base64.b64encode(bytes(raw)).decode(), "no-es-base64!", "", "ñ"):
        assert not verify_sello(signed.efirma.certificate, CADENA, sello)


def test_a_sello_does_not_verify_against_another_certificate(lab: Lab, trust):
    signed = _sign(lab, trust)
    other = lab.efirma(key=lab.other_key).certificate
    assert not verify_sello(other, CADENA, signed.sello)


def test_nothing_is_signed_with_an_efirma_that_is_not_valid(lab: Lab, trust):
    with pytest.raises(EFirmaError) as refused:
        _sign(lab, trust, validity=EXPIRED)
    assert refused.value.reason is EFirmaReason.EXPIRED
