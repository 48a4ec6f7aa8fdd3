"""The e.firma's private key (``.key``): an encrypted PKCS#8, DER or PEM, opened with its password.

SAT's keys are PBES2 with PBKDF2 and DES-EDE3-CBC (3DES); ``cryptography`` reads those as it reads
AES ones and the older PBES1 and PKCS#12 schemes. A wrong password and a damaged or foreign file
end alike, as DOMAIN §11's one failure "unreadable key or wrong password": telling them apart
would say nothing more to the user and would help someone guessing passwords.

The caller keeps the returned key for one operation and drops it; nothing here stores it, and
the password and the key never reach an exception or a log.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from efirma.errors import EFirmaError, EFirmaReason
from efirma.pkcs8 import encrypted_pkcs8_der, kdf_iterations

# A 4096-bit RSA key in PKCS#8 is under 3 KB.
MAX_KEY_BYTES = 64 * 1024
# SAT uses 2,048 rounds and OpenSSL's default is the same; 1,000,000 rounds of PBKDF2 take about
# half a second, so a file that asks for more is refused rather than paid for.
MAX_KDF_ITERATIONS = 1_000_000


def load_private_key(data: bytes, password: str) -> RSAPrivateKey:
    """The RSA key in an encrypted PKCS#8 ``.key``, or ``EFirmaError(KEY_UNREADABLE)``."""
    if len(data) > MAX_KEY_BYTES:
        raise EFirmaError(EFirmaReason.KEY_UNREADABLE)
    try:
        der = encrypted_pkcs8_der(data)
        if kdf_iterations(der) > MAX_KDF_ITERATIONS:
            raise ValueError("too costly a key derivation")
        key = serialization.load_der_private_key(der, password.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # `from None`: cryptography's own words are not for the user, and nothing of the
        # attempt (password included) should travel with the exception.
        raise EFirmaError(EFirmaReason.KEY_UNREADABLE) from None
    if not isinstance(key, RSAPrivateKey):
        raise EFirmaError(EFirmaReason.KEY_UNREADABLE)
    return key
