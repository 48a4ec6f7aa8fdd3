"""Opening a ``.key``: encrypted PKCS#8 in DER or PEM, SAT's 3DES kind included; a wrong password
and a damaged file end in the same refusal; a file that asks for a ruinous key derivation is
refused before any of it is paid."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from efirma.errors import EFirmaError, EFirmaReason
from efirma.key import MAX_KDF_ITERATIONS, MAX_KEY_BYTES, load_private_key
from efirma.pkcs8 import NotEncryptedPkcs8, encrypted_pkcs8_der, kdf_iterations
from tests.efirma.factory import PASSWORD, Lab, encrypted_pkcs8, openssl_pkcs8


def _same_key(loaded, original) -> bool:
    return bool(loaded.private_numbers() == original.private_numbers())


@pytest.mark.parametrize("pem", [False, True], ids=["der", "pem"])
def test_an_aes_pkcs8_opens_with_its_password(lab: Lab, pem):
    data = encrypted_pkcs8(lab.company_key, pem=pem)
    assert _same_key(load_private_key(data, PASSWORD), lab.company_key)


@pytest.mark.parametrize(
    "options",
    [
        ("-v2", "des3", "-v2prf", "hmacWithSHA1"),  # SAT's: PBES2, PBKDF2-SHA1, DES-EDE3-CBC
        ("-v2", "des3"),  # the same with OpenSSL's default PRF (HMAC-SHA256)
        ("-v1", "PBE-SHA1-3DES"),  # the older PKCS#12 scheme
    ],
    ids=["pbes2-sha1", "pbes2-sha256", "pkcs12-pbe"],
)
@pytest.mark.parametrize("pem", [False, True], ids=["der", "pem"])
def test_a_3des_pkcs8_like_sats_opens(lab: Lab, options, pem):
    data = openssl_pkcs8(lab.company_key, PASSWORD, *options, pem=pem)
    assert (b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data) is pem
    assert _same_key(load_private_key(data, PASSWORD), lab.company_key)


def test_the_3des_key_is_really_des_ede3_cbc(lab: Lab):
    data = openssl_pkcs8(lab.company_key, PASSWORD, "-v2", "des3", "-v2prf", "hmacWithSHA1")
    # The OID of des-ede3-cbc, 1.2.840.113549.3.7, in DER.
    assert bytes.fromhex("06082a864886f70d0307") in data
    assert kdf_iterations(data) == 2048


@pytest.mark.parametrize("password", ["otra contraseña", "", PASSWORD.upper(), PASSWORD + " "])
def test_a_wrong_password_is_refused(lab: Lab, password):
    with pytest.raises(EFirmaError) as refused:
        load_private_key(lab.key_file(lab.company_key), password)
    assert refused.value.reason is EFirmaReason.KEY_UNREADABLE


def test_a_wrong_password_on_a_3des_key_is_refused(lab: Lab):
    data = openssl_pkcs8(lab.company_key, PASSWORD, "-v2", "des3")
    with pytest.raises(EFirmaError) as refused:
        load_private_key(data, "otra contraseña")
    assert refused.value.reason is EFirmaReason.KEY_UNREADABLE


def _damaged(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


@pytest.mark.parametrize(
    "make",
    [
        lambda lab: b"",
        lambda lab: b"no es una clave",
        lambda lab: lab.key_file(lab.company_key)[:-7],
        lambda lab: _damaged(lab.key_file(lab.company_key)),
        lambda lab: lab.efirma().cer,  # the .cer given as the .key
        lambda lab: lab.company_key.private_bytes(  # not encrypted: no .key of SAT's
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        lambda lab: lab.company_key.private_bytes(  # encrypted, but OpenSSL's older PEM
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        ),
        lambda lab: (
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n!!\n-----END ENCRYPTED PRIVATE KEY-----"
        ),
        lambda lab: ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        ),
    ],
    ids=[
        "empty",
        "text",
        "truncated",
        "flipped-byte",
        "certificate",
        "unencrypted",
        "traditional-pem",
        "bad-pem",
        "not-rsa",
    ],
)
def test_what_is_not_an_encrypted_rsa_pkcs8_is_refused_alike(lab: Lab, make):
    with pytest.raises(EFirmaError) as refused:
        load_private_key(make(lab), PASSWORD)
    assert refused.value.reason is EFirmaReason.KEY_UNREADABLE
    assert str(refused.value) == (
        "No se pudo abrir la clave privada (.key): la contraseña es incorrecta o el archivo no es "
        "una clave privada válida."
    )


def test_a_ruinous_iteration_count_is_refused_without_paying_it(lab: Lab):
    data = openssl_pkcs8(lab.company_key, PASSWORD, "-v2", "des3", "-iter", "1000001")
    assert kdf_iterations(data) == MAX_KDF_ITERATIONS + 1
    started = time.perf_counter()
    with pytest.raises(EFirmaError) as refused:
        load_private_key(data, PASSWORD)
    assert refused.value.reason is EFirmaReason.KEY_UNREADABLE
    assert time.perf_counter() - started < 0.2


def test_scrypt_is_refused(lab: Lab):
    data = openssl_pkcs8(lab.company_key, PASSWORD, "-scrypt")
    with pytest.raises(NotEncryptedPkcs8):
        kdf_iterations(data)
    with pytest.raises(EFirmaError):
        load_private_key(data, PASSWORD)


def test_an_oversized_file_is_not_parsed(lab: Lab):
    with pytest.raises(EFirmaError) as refused:
        load_private_key(lab.key_file(lab.company_key) + b"\x00" * MAX_KEY_BYTES, PASSWORD)
    assert refused.value.reason is EFirmaReason.KEY_UNREADABLE


def test_the_pem_is_turned_into_the_same_der(lab: Lab):
    pem = encrypted_pkcs8(lab.company_key, pem=True)
    der = encrypted_pkcs8_der(pem)
    assert der.startswith(b"\x30\x82")
    assert _same_key(serialization.load_der_private_key(der, PASSWORD.encode()), lab.company_key)


def test_the_iteration_count_of_cryptographys_own_pkcs8_is_read(lab: Lab):
    assert 1 <= kdf_iterations(encrypted_pkcs8(lab.company_key)) <= MAX_KDF_ITERATIONS


@pytest.mark.parametrize(
    "der",
    [
        b"\x30\x03\x02\x01\x01",  # a SEQUENCE of one INTEGER
        b"\x30\x84\xff\xff\xff\xff",  # a length past the end
        b"\x30\x85\x00\x00\x00\x00\x01\x00",  # a length in too many octets
        b"\x1f\x01\x00",  # a high tag number
        b"\x30",
    ],
)
def test_malformed_der_is_refused_by_the_reader(der):
    with pytest.raises(NotEncryptedPkcs8):
        kdf_iterations(der)
