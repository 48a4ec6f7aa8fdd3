"""The e.firma as the portal uses it: the configured trust store, read once, and signing with
the user's files, throttled on the key's password.

A wrong password for the ``.key`` counts as a failed sign-in would (``workflow.throttle``, door
EFIRMA, per RFC and address): the key file may have been stolen without its password, and the
portal must not become the place to guess it.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session

from core.clock import utcnow
from core.config import get_settings
from efirma.certificate import SatCertificate, load_certificate
from efirma.errors import EFirmaError, EFirmaReason
from efirma.signing import SignedCadena, sign_with_efirma
from efirma.trust import TrustStore, TrustStoreError, load_trust_store
from efirma.validation import normalized_rfc
from workflow.refusals import EFirmaRefused, EFirmaSetupReason
from workflow.throttle import (
    Attempt,
    Door,
    Throttled,
    record_failure,
    record_success,
    seconds_to_wait,
)

NOT_CONFIGURED = (
    "La validación con e.firma no está disponible: falta configurar los certificados de las "
    "autoridades del SAT (SIA_EFIRMA_TRUST_DIR). Avise al administrador del sistema."
)


@lru_cache(maxsize=4)
def _load(directory: Path, _listing: tuple[tuple[str, int, int], ...]) -> TrustStore:
    return load_trust_store(directory)


def _listing(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and mtime of each file: a certificate added, removed or replaced in place
    makes the store be read again."""
    return tuple(
        sorted(
            (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
            for entry in directory.iterdir()
        )
    )


def trust_store() -> TrustStore:
    """The configured authorities, read once (again only when the directory's files change)."""
    directory = get_settings().efirma_trust_dir
    if directory is None:
        raise EFirmaRefused(EFirmaSetupReason.TRUST_NOT_CONFIGURED, NOT_CONFIGURED)
    try:
        return _load(directory, _listing(directory))
    except (OSError, TrustStoreError):
        raise EFirmaRefused(EFirmaSetupReason.TRUST_NOT_CONFIGURED, NOT_CONFIGURED) from None


def read_certificate(cer: bytes) -> SatCertificate:
    """The ``.cer`` alone (to put its number in what is about to be signed)."""
    try:
        return load_certificate(cer)
    except EFirmaError as exc:
        raise EFirmaRefused(exc.reason, str(exc)) from None


def sign(
    session: Session,
    *,
    cer: bytes,
    key: bytes,
    password: str,
    cadena: str,
    rfc: str,
    address: str,
    now: datetime | None = None,
) -> SignedCadena:
    """``cadena`` signed with the e.firma of ``rfc``, validated first (DOMAIN §11); or
    EFirmaRefused, or Throttled after too many wrong key passwords. A wrong password rolls the
    caller's transaction back and commits only its count."""
    attempt = Attempt(Door.EFIRMA, normalized_rfc(rfc), address)
    moment = now or utcnow()
    wait = seconds_to_wait(session, attempt, moment)
    if wait:
        raise Throttled(wait)
    store = trust_store()
    try:
        signed = sign_with_efirma(
            cer, key, password, cadena, trust=store, expected_rfc=rfc, now=moment
        )
    except EFirmaError as exc:
        if exc.reason is EFirmaReason.KEY_UNREADABLE:
            # The request is refused: whatever the caller had written (a folio) goes, and
            # only the count stays.
            session.rollback()
            record_failure(session, attempt, moment)
            session.commit()
        raise EFirmaRefused(exc.reason, str(exc)) from None
    record_success(session, attempt)
    return signed
