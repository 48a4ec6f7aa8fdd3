"""Why an e.firma is refused: one exception type whose reason tells the caller what failed and
whose message tells the user, in Spanish.

The members of ``EFirmaReason`` are declared in the order DOMAIN §11 checks them; when several
failures apply, validation reports the first in that order.
"""

from __future__ import annotations

from enum import StrEnum


class EFirmaReason(StrEnum):
    CERTIFICATE_UNREADABLE = "certificate_unreadable"
    KEY_UNREADABLE = "key_unreadable"  # a wrong password and a damaged file look alike
    PAIR_MISMATCH = "pair_mismatch"
    # The two validity failures share one place in the order: they cannot both apply.
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    UNTRUSTED_ISSUER = "untrusted_issuer"
    CSD_NOT_FIEL = "csd_not_fiel"
    RFC_MISMATCH = "rfc_mismatch"


MESSAGES: dict[EFirmaReason, str] = {
    EFirmaReason.CERTIFICATE_UNREADABLE: (
        "No se pudo leer el certificado (.cer). Verifique que sea el certificado de su e.firma, "
        "en formato DER o PEM."
    ),
    EFirmaReason.KEY_UNREADABLE: (
        "No se pudo abrir la clave privada (.key): la contraseña es incorrecta o el archivo no es "
        "una clave privada válida."
    ),
    EFirmaReason.PAIR_MISMATCH: "La clave privada (.key) no corresponde al certificado (.cer).",
    EFirmaReason.NOT_YET_VALID: "El certificado de la e.firma todavía no está vigente.",
    EFirmaReason.EXPIRED: "El certificado de la e.firma está vencido; renuévelo ante el SAT.",
    EFirmaReason.UNTRUSTED_ISSUER: (
        "El certificado no fue emitido por una autoridad certificadora reconocida del SAT."
    ),
    EFirmaReason.CSD_NOT_FIEL: (
        "El certificado es un Certificado de Sello Digital (CSD), no una e.firma. Use el "
        "certificado de su e.firma."
    ),
    EFirmaReason.RFC_MISMATCH: "La e.firma corresponde a otro RFC, no al de la cuenta.",
}


class EFirmaError(Exception):
    """An e.firma that is refused; ``str(exc)`` is the Spanish message for the user.

    It carries the reason only: never the password, the key or the file's contents, so that it
    can be logged and shown as it is.
    """

    def __init__(self, reason: EFirmaReason) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason

    def __repr__(self) -> str:
        return f"EFirmaError({self.reason.value!r})"
