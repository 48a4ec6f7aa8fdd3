"""The trust store: a directory of CA certificates (DER, PEM, PEM bundles); a certificate is
trusted when one of them issued it, root or intermediate; a borrowed issuer name is not enough."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from efirma.trust import TrustStore, TrustStoreError, load_trust_store, read_certificates
from tests.efirma.factory import Lab, company_subject, der, pem


def test_the_directory_holds_the_root_in_der_and_the_intermediate_in_pem(lab: Lab, trust):
    assert set(trust.authorities) == {lab.root.certificate, lab.sat.certificate}
    assert trust.skipped == ()


def test_a_certificate_issued_by_the_intermediate_is_trusted(lab: Lab, trust: TrustStore):
    certificate = lab.efirma().certificate
    assert trust.issuer_of(certificate) == lab.sat.certificate
    assert trust.trusts(certificate)


def test_a_certificate_issued_by_the_root_is_trusted(lab: Lab, trust: TrustStore):
    assert trust.issuer_of(lab.efirma(authority=lab.root).certificate) == lab.root.certificate


def test_a_store_of_the_root_alone_does_not_trust_what_the_intermediate_issued(lab: Lab):
    # Only direct issuers count: SAT's directory carries its intermediates.
    store = TrustStore((lab.root.certificate,))
    assert not store.trusts(lab.efirma().certificate)


def test_another_authority_is_not_trusted(lab: Lab, trust: TrustStore):
    assert not trust.trusts(lab.efirma(authority=lab.stranger).certificate)


def test_an_authority_that_borrows_sats_name_is_not_trusted(lab: Lab, trust: TrustStore):
    certificate = lab.efirma(authority=lab.impostor).certificate
    assert certificate.issuer == lab.sat.certificate.subject
    assert not trust.trusts(certificate)


def test_a_tampered_certificate_is_not_trusted(lab: Lab, trust: TrustStore):
    from cryptography import x509

    data = bytearray(lab.efirma().cer)
    # A byte of the subject's name, inside the signed part: still parses, no longer verifies.
    at = bytes(data).index(b"ACCEM")
    data[at] = ord("B")
    tampered = x509.load_der_x509_certificate(bytes(data))
    assert not trust.trusts(tampered)


def test_the_signature_is_verified_with_the_certificates_own_hash(lab: Lab, trust):
    for algorithm in (hashes.SHA384(), hashes.SHA512()):
        certificate = lab.sat.issue(
            company_subject(), lab.company_key.public_key(), algorithm=algorithm
        )
        assert trust.trusts(certificate), algorithm.name


def test_a_pem_bundle_holds_several_authorities(lab: Lab, tmp_path: Path):
    (tmp_path / "ac-sat.pem").write_bytes(pem(lab.root.certificate) + pem(lab.sat.certificate))
    store = load_trust_store(tmp_path)
    assert store.authorities == (lab.root.certificate, lab.sat.certificate)


def test_hidden_files_and_subdirectories_are_ignored(lab: Lab, tmp_path: Path):
    (tmp_path / "raiz.cer").write_bytes(der(lab.root.certificate))
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "viejos").mkdir()
    (tmp_path / "viejos" / "ajena.cer").write_bytes(der(lab.stranger.certificate))
    store = load_trust_store(tmp_path)
    assert store.authorities == (lab.root.certificate,) and store.skipped == ()


def test_an_unreadable_file_is_skipped_and_logged(lab: Lab, tmp_path: Path, caplog):
    (tmp_path / "raiz.cer").write_bytes(der(lab.root.certificate))
    (tmp_path / "LEAME.txt").write_text("Certificados del SAT")
    with caplog.at_level(logging.WARNING, logger="efirma.trust"):
        store = load_trust_store(tmp_path)
    assert store.authorities == (lab.root.certificate,)
    assert store.skipped == ("LEAME.txt",)
    assert "LEAME.txt" in caplog.text


def test_a_directory_without_certificates_is_an_error(tmp_path: Path):
    (tmp_path / "LEAME.txt").write_text("vacío")
    with pytest.raises(TrustStoreError) as error:
        load_trust_store(tmp_path)
    assert str(error.value) == (
        f"La carpeta de certificados de confianza «{tmp_path}» no contiene certificados "
        "legibles (DER o PEM)."
    )


@pytest.mark.parametrize("name", ["no-existe", "archivo.cer"])
def test_a_missing_directory_is_an_error(tmp_path: Path, name):
    (tmp_path / "archivo.cer").write_bytes(b"")
    with pytest.raises(TrustStoreError) as error:
        load_trust_store(tmp_path / name)
    assert "no existe o no es una carpeta" in str(error.value)


def test_read_certificates_refuses_what_is_not_one():
    with pytest.raises(ValueError):
        read_certificates(b"nada")
