"""e.firmas made by the suite, shaped like SAT's (DOMAIN §11): a test SAT with a root and an
intermediate authority, an authority nobody trusts, one that borrows SAT's name, and certificates
for a company (persona moral), a person (persona física) and a CSD, valid or not, with their
``.key`` files encrypted as SAT's are.

RSA key generation is the slow part, so a handful of keys is made once per session and reused.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

PASSWORD = "Contraseña de prueba 12"
NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
VALID_FROM = datetime(2025, 1, 15, 17, 30, tzinfo=UTC)
VALID_UNTIL = datetime(2029, 1, 15, 17, 30, tzinfo=UTC)
EXPIRED = (datetime(2020, 6, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC))
NOT_YET_VALID = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2030, 6, 1, tzinfo=UTC))

COMPANY_RFC = "AAA010101AAA"
COMPANY_NAME = "ACCEM SERVICIOS EMPRESARIALES SC"
REPRESENTATIVE_RFC = "HEGT7610034S2"
REPRESENTATIVE_CURP = "HEGT761003MDFRNN09"
PERSON_RFC = "GOMA850101AB1"
PERSON_CURP = "GOMA850101HDFMRR03"
PERSON_NAME = "ANA GÓMEZ MARTÍNEZ"
OTHER_RFC = "XYZ991231AB1"
BRANCH = "Sucursal Centro"
CERTIFICATE_NUMBER = "30001000000500003416"

_serials = itertools.count(1)


def serial_for(number: str) -> int:
    """The serial whose hex reads as ``number`` in ASCII, as SAT numbers its certificates."""
    return int(number.encode("ascii").hex(), 16)


@functools.cache
def rsa_key(index: int) -> rsa.RSAPrivateKey:
    """Key number ``index`` of the session (the same object every time it is asked for)."""
    del index  # only tells the cached keys apart
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _text(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute[str]:
    # SAT writes these as PrintableString; cryptography would pick UTF8String.
    return x509.NameAttribute(oid, value, _type=_ASN1Type.PrintableString)


def company_subject(
    rfc: str = COMPANY_RFC,
    *,
    representative_rfc: str = REPRESENTATIVE_RFC,
    curp: str = REPRESENTATIVE_CURP,
    name: str = COMPANY_NAME,
    branch: str | None = None,
) -> x509.Name:
    """A persona moral's subject: "RFC / RFC of the representative" and " / CURP"; a CSD adds
    an OU naming its branch."""
    attributes = [
        _text(NameOID.COMMON_NAME, name),
        _text(x509.ObjectIdentifier("2.5.4.41"), name),
        _text(NameOID.ORGANIZATION_NAME, name),
        _text(NameOID.COUNTRY_NAME, "MX"),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "contacto@empresa.example"),
        _text(NameOID.X500_UNIQUE_IDENTIFIER, f"{rfc} / {representative_rfc}"),
        _text(NameOID.SERIAL_NUMBER, f" / {curp}"),
    ]
    if branch is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, branch))
    return x509.Name(attributes)


def person_subject(
    rfc: str = PERSON_RFC, *, curp: str = PERSON_CURP, name: str = PERSON_NAME
) -> x509.Name:
    """A persona física's subject: the RFC alone, the CURP alone (UTF-8 name, as for accents)."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.41"), name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            _text(NameOID.COUNTRY_NAME, "MX"),
            _text(NameOID.X500_UNIQUE_IDENTIFIER, rfc),
            _text(NameOID.SERIAL_NUMBER, curp),
        ]
    )


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    def issue(
        self,
        subject: x509.Name,
        public_key: rsa.RSAPublicKey,
        *,
        not_before: datetime = VALID_FROM,
        not_after: datetime = VALID_UNTIL,
        serial: int | None = None,
        ca: bool = False,
        algorithm: hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None = None,
    ) -> x509.Certificate:
        if serial is None:
            serial = serial_for(f"3000100000050000{next(_serials):04d}")
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(self.key, algorithm or hashes.SHA256())
        )


def make_authority(
    common_name: str, key: rsa.RSAPrivateKey, *, issuer: Authority | None = None
) -> Authority:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Servicio de Administración Tributaria"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        ]
    )
    since, until = datetime(2019, 1, 1, tzinfo=UTC), datetime(2039, 1, 1, tzinfo=UTC)
    if issuer is None:  # a root: signs its own certificate
        issuer = Authority(
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(since)
            .not_valid_after(until)
            .sign(key, hashes.SHA256()),
            key,
        )
    certificate = issuer.issue(
        subject, key.public_key(), not_before=since, not_after=until, serial=2, ca=True
    )
    return Authority(certificate, key)


def encrypted_pkcs8(
    key: rsa.RSAPrivateKey, password: str = PASSWORD, *, pem: bool = False
) -> bytes:
    """The key as an encrypted PKCS#8 (cryptography writes PBES2 with AES-256-CBC)."""
    return key.private_bytes(
        serialization.Encoding.PEM if pem else serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )


def openssl_pkcs8(
    key: rsa.RSAPrivateKey, password: str = PASSWORD, *options: str, pem: bool = False
) -> bytes:
    """The key as an encrypted PKCS#8 made by ``openssl pkcs8 -topk8 OPTIONS``: cryptography
    cannot write the 3DES kind SAT issues (``-v2 des3``). Skipped loudly without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl NOT FOUND: cannot make a 3DES PKCS#8 key like SAT's; install it")
    plain = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    done = subprocess.run(
        [
            *(openssl, "pkcs8", "-topk8", *options),
            *("-passout", "env:EFIRMA_TEST_PASSWORD", "-outform", "PEM" if pem else "DER"),
        ],
        input=plain,
        capture_output=True,
        check=True,
        env={**os.environ, "EFIRMA_TEST_PASSWORD": password},
    )
    return done.stdout


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Files:
    """What a user hands in: the ``.cer`` and the ``.key`` (DER, as SAT gives them)."""

    cer: bytes
    key: bytes
    certificate: x509.Certificate

    def write(self, directory: Path, stem: str = "efirma") -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        cer, key = directory / f"{stem}.cer", directory / f"{stem}.key"
        cer.write_bytes(self.cer)
        key.write_bytes(self.key)
        return cer, key


class Lab:
    """The session's authorities and keys, and e.firmas made from them on request."""

    def __init__(self) -> None:
        self.root = make_authority("AC raíz de pruebas del SAT", rsa_key(0))
        self.sat = make_authority("AC de pruebas del SAT", rsa_key(1), issuer=self.root)
        self.stranger = make_authority("AC ajena de pruebas", rsa_key(2))
        # SAT's intermediate's name with another key: the issuer name matches, the signature
        # does not.
        self.impostor = make_authority("AC de pruebas del SAT", rsa_key(3))
        self.company_key = rsa_key(4)
        self.person_key = rsa_key(5)
        self.other_key = rsa_key(6)
        self._keys: dict[tuple[int, str, bool], bytes] = {}

    def key_file(
        self, key: rsa.RSAPrivateKey, password: str = PASSWORD, *, pem: bool = False
    ) -> bytes:
        """Cached: PBKDF2 makes every encryption cost a little."""
        slot = (id(key), password, pem)
        if slot not in self._keys:
            self._keys[slot] = encrypted_pkcs8(key, password, pem=pem)
        return self._keys[slot]

    def efirma(
        self,
        subject: x509.Name | None = None,
        *,
        key: rsa.RSAPrivateKey | None = None,
        key_file_of: rsa.RSAPrivateKey | None = None,
        authority: Authority | None = None,
        validity: tuple[datetime, datetime] = (VALID_FROM, VALID_UNTIL),
        password: str = PASSWORD,
        serial: int | None = None,
    ) -> Files:
        """A company FIEL issued by the test SAT unless told otherwise; ``key_file_of`` gives the
        ``.key`` of another key pair (a mismatched pair)."""
        key = key or self.company_key
        certificate = (authority or self.sat).issue(
            subject or company_subject(),
            key.public_key(),
            not_before=validity[0],
            not_after=validity[1],
            serial=serial,
        )
        return Files(der(certificate), self.key_file(key_file_of or key, password), certificate)

    def write_trust_dir(self, directory: Path) -> Path:
        """SAT's store as an operator would unpack it: the root in DER, the intermediate in PEM."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "raiz.cer").write_bytes(der(self.root.certificate))
        (directory / "intermedia.pem").write_bytes(pem(self.sat.certificate))
        return directory
