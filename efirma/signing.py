"""The sello: an e.firma's signature over a document's cadena original (DOMAIN §11), RSA
PKCS#1 v1.5 with SHA-256 over the cadena's UTF-8 bytes, written in base64.

``sign_with_efirma`` is the one way to sign with a user's e.firma: it opens the key, validates the
e.firma, signs and returns the sello with the certificate's facts. The key exists only inside that
call; it is neither returned nor kept.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from efirma.certificate import load_certificate
from efirma.key import load_private_key
from efirma.trust import TrustStore
from efirma.validation import EFirma, check_efirma


@dataclass(frozen=True)
class SignedCadena:
    efirma: EFirma
    cadena: str
    sello: str  # base64


def sign_with_efirma(
    cer: bytes,
    key: bytes,
    password: str,
    cadena: str,
    *,
    trust: TrustStore,
    expected_rfc: str | None = None,
    now: datetime,
) -> SignedCadena:
    """Validate the e.firma (as ``validate_efirma``) and sign ``cadena`` with it; or
    ``EFirmaError``, and nothing is signed."""
    certificate = load_certificate(cer)
    private_key = load_private_key(key, password)
    efirma = check_efirma(certificate, private_key, trust=trust, expected_rfc=expected_rfc, now=now)
    return SignedCadena(efirma=efirma, cadena=cadena, sello=sign_cadena(private_key, cadena))


def sign_cadena(private_key: RSAPrivateKey, cadena: str) -> str:
    """The base64 sello of ``cadena``."""
    signature = private_key.sign(cadena.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify_sello(certificate: x509.Certificate, cadena: str, sello: str) -> bool:
    """Whether ``sello`` is the signature of ``cadena`` by the key of ``certificate``."""
    public = certificate.public_key()
    if not isinstance(public, RSAPublicKey):
        return False
    try:
        signature = base64.b64decode(sello, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        public.verify(signature, cadena.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
