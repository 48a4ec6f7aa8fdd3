"""A SAT certificate (``.cer``, DER or PEM) and what its subject says (DOMAIN §11).

SAT writes the holder's identity in the subject: x500UniqueIdentifier (2.5.4.45) holds the RFC, or
for a company "RFC / RFC of the legal representative"; serialNumber (2.5.4.5) holds the CURP, or
for a company " / CURP of the representative"; an OU names the branch of a CSD (a seal
certificate), which a FIEL (e.firma) never has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509.oid import NameOID

from efirma.errors import EFirmaError, EFirmaReason

# A SAT certificate is about 2 KB; anything far larger is not one, and is not parsed.
MAX_CER_BYTES = 64 * 1024
_PEM_MARK = b"-----BEGIN"
# x520name (2.5.4.41): SAT repeats the holder's name there besides CN and O.
_NAME_OID = x509.ObjectIdentifier("2.5.4.41")
_CERTIFICATE_NUMBER_DIGITS = 20


@dataclass(frozen=True)
class SatCertificate:
    """A readable SAT certificate and the identity in its subject (not yet validated)."""

    certificate: x509.Certificate
    rfc: str
    representative_rfc: str | None  # a company's legal representative; None for a person
    curp: str | None  # the person's, or the company representative's
    name: str
    certificate_number: str
    branch: str | None  # the OU of a CSD; a FIEL has none

    @property
    def is_csd(self) -> bool:
        return self.branch is not None

    @property
    def is_company(self) -> bool:
        """A persona moral: its RFC has 12 characters (a person's has 13)."""
        return len(self.rfc) == 12

    @property
    def not_before(self) -> datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        return self.certificate.not_valid_after_utc


def load_certificate(data: bytes) -> SatCertificate:
    """Read a ``.cer`` (DER, or PEM); refused as unreadable when it is not an RSA certificate
    whose subject carries an RFC."""
    if len(data) > MAX_CER_BYTES:
        raise EFirmaError(EFirmaReason.CERTIFICATE_UNREADABLE)
    try:
        if data.lstrip().startswith(_PEM_MARK):
            certificate = x509.load_pem_x509_certificate(data)
        else:
            certificate = x509.load_der_x509_certificate(data)
        # e.firma keys are RSA and the sello is RSA (§11): another key type cannot sign for it.
        if not isinstance(certificate.public_key(), RSAPublicKey):
            raise ValueError("not an RSA certificate")
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise EFirmaError(EFirmaReason.CERTIFICATE_UNREADABLE) from None
    rfcs = _parts(_attribute(certificate.subject, NameOID.X500_UNIQUE_IDENTIFIER))
    if not rfcs or not rfcs[0]:
        raise EFirmaError(EFirmaReason.CERTIFICATE_UNREADABLE)
    curps = [
        part for part in _parts(_attribute(certificate.subject, NameOID.SERIAL_NUMBER)) if part
    ]
    return SatCertificate(
        certificate=certificate,
        rfc=rfcs[0],
        representative_rfc=next((part for part in rfcs[1:] if part), None),
        curp=curps[0] if curps else None,
        name=_holder_name(certificate.subject),
        certificate_number=certificate_number(certificate.serial_number),
        branch=_attribute(certificate.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) or None,
    )


def certificate_number(serial: int) -> str:
    """SAT's "número de certificado": the serial's hex read as ASCII digits (20 of them).

    A serial that does not read so (no SAT certificate has one) is given as its hex, so that the
    certificate can still be named; such a certificate is refused as untrusted anyway.
    """
    raw = serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big")
    if len(raw) == _CERTIFICATE_NUMBER_DIGITS and raw.isdigit():
        return raw.decode("ascii")
    return format(serial, "X")


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    """The first value of ``oid`` in ``name``, stripped; "" when absent."""
    for attribute in name.get_attributes_for_oid(oid):
        value = attribute.value
        if isinstance(value, bytes):  # a BIT STRING, as X.500 defines 2.5.4.45; SAT writes text
            try:
                value = value.decode("ascii")
            except UnicodeDecodeError:
                return ""
        return value.strip()
    return ""


def _parts(value: str) -> list[str]:
    """The parts of a "RFC / RFC" or " / CURP" value, stripped and uppercase ("" for an empty
    part)."""
    return [part.strip().upper() for part in value.split("/")] if value else []


def _holder_name(subject: x509.Name) -> str:
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, _NAME_OID):
        if value := _attribute(subject, oid):
            return value
    return ""
