"""The certification authorities whose certificates are trusted: a directory of CA certificates
(DER or PEM, a PEM file may hold several). Production points it at SAT's; the tests make their own.

An e.firma is trusted when one of these certificates issued it directly: SAT's chain has
intermediate authorities, and the directory holds them beside the roots. The check is the
issuer's name and its signature over the certificate (RSA PKCS#1 v1.5 with the certificate's
hash, as SAT signs), nothing more: validity and revocation of the authority are not looked at.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

logger = logging.getLogger(__name__)

# A CA certificate is a few KB; a bundle of all of SAT's is well under this.
MAX_FILE_BYTES = 1024 * 1024
_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"


class TrustStoreError(Exception):
    """The configured directory gives no authority to trust; Spanish message for the operator."""


@dataclass(frozen=True)
class TrustStore:
    authorities: tuple[x509.Certificate, ...]
    # Files of the directory that held no readable certificate (logged, not fatal: one bad file
    # among SAT's must not stop every e.firma).
    skipped: tuple[str, ...] = ()

    def issuer_of(self, certificate: x509.Certificate) -> x509.Certificate | None:
        """The authority that issued ``certificate``, or None."""
        for authority in self.authorities:
            try:
                # Checks that the issuer name is the authority's subject, then the signature.
                certificate.verify_directly_issued_by(authority)
            except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                continue
            return authority
        return None

    def trusts(self, certificate: x509.Certificate) -> bool:
        return self.issuer_of(certificate) is not None


def read_certificates(data: bytes) -> list[x509.Certificate]:
    """The certificates in one file: a PEM bundle, or one DER certificate. ValueError if none."""
    if _PEM_CERTIFICATE in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def load_trust_store(directory: Path) -> TrustStore:
    """Every certificate in the files of ``directory`` (not its subdirectories nor hidden files)."""
    if not directory.is_dir():
        raise TrustStoreError(
            f"La carpeta de certificados de confianza «{directory}» no existe o no es una carpeta."
        )
    authorities: list[x509.Certificate] = []
    skipped: list[str] = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError("too large for a certificate file")
            authorities += read_certificates(path.read_bytes())
        except (OSError, ValueError) as exc:
            logger.warning("trust store: %s holds no readable certificate (%s)", path, exc)
            skipped.append(path.name)
    if not authorities:
        raise TrustStoreError(
            f"La carpeta de certificados de confianza «{directory}» no contiene certificados "
            "legibles (DER o PEM)."
        )
    return TrustStore(tuple(authorities), tuple(skipped))
