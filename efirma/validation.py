"""Is this a valid e.firma for this account, now? (DOMAIN §11)

The checks run in §11's order and stop at the first failure, so that when several apply the user
is told the first: unreadable certificate, unreadable key or wrong password, pair mismatch, not
yet valid or expired, untrusted issuer, CSD instead of e.firma, RFC of another account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from efirma.certificate import SatCertificate, load_certificate
from efirma.errors import EFirmaError, EFirmaReason
from efirma.key import load_private_key
from efirma.trust import TrustStore


@dataclass(frozen=True)
class EFirma:
    """The facts of an e.firma that passed every check (the key itself is not kept)."""

    rfc: str
    representative_rfc: str | None
    curp: str | None
    name: str
    certificate_number: str
    not_before: datetime  # UTC
    not_after: datetime  # UTC
    certificate: x509.Certificate

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def validate_efirma(
    cer: bytes,
    key: bytes,
    password: str,
    *,
    trust: TrustStore,
    expected_rfc: str | None = None,
    now: datetime,
) -> EFirma:
    """The e.firma in ``cer`` and ``key`` (opened with ``password``), checked as of ``now``
    against ``trust`` and, when given, the account's RFC; or ``EFirmaError``."""
    certificate = load_certificate(cer)
    private_key = load_private_key(key, password)
    return check_efirma(certificate, private_key, trust=trust, expected_rfc=expected_rfc, now=now)


def check_efirma(
    certificate: SatCertificate,
    private_key: RSAPrivateKey,
    *,
    trust: TrustStore,
    expected_rfc: str | None = None,
    now: datetime,
) -> EFirma:
    """The checks after both files were read, in §11's order."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must carry its time zone")
    if not key_matches(private_key, certificate.certificate):
        raise EFirmaError(EFirmaReason.PAIR_MISMATCH)
    # RFC 5280: both ends of the validity period are inside it.
    if now < certificate.not_before:
        raise EFirmaError(EFirmaReason.NOT_YET_VALID)
    if now > certificate.not_after:
        raise EFirmaError(EFirmaReason.EXPIRED)
    if not trust.trusts(certificate.certificate):
        raise EFirmaError(EFirmaReason.UNTRUSTED_ISSUER)
    if certificate.is_csd:
        raise EFirmaError(EFirmaReason.CSD_NOT_FIEL)
    if expected_rfc is not None and normalized_rfc(expected_rfc) != certificate.rfc:
        raise EFirmaError(EFirmaReason.RFC_MISMATCH)
    return EFirma(
        rfc=certificate.rfc,
        representative_rfc=certificate.representative_rfc,
        curp=certificate.curp,
        name=certificate.name,
        certificate_number=certificate.certificate_number,
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        certificate=certificate.certificate,
    )


def key_matches(private_key: RSAPrivateKey, certificate: x509.Certificate) -> bool:
    """The key is the private half of the certificate's public key."""
    public = certificate.public_key()
    return (
        isinstance(public, RSAPublicKey)
        and public.public_numbers() == private_key.public_key().public_numbers()
    )


def normalized_rfc(rfc: str) -> str:
    """As the certificate spells it: uppercase, without surrounding spaces."""
    return rfc.strip().upper()
