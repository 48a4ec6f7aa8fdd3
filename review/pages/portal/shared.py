"""What several pages of the companies' portal share: the e.firma files of a multipart form,
and the page frame (the company's header and the tabs of the Servicios de Intercomunicación)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile, status
from fastapi.responses import HTMLResponse

from review.inputs import Text
from review.refusals import http_status
from schema import OrganizationKind
from workflow.portal.accounts import KIND_LABELS, SignedInCompany
from workflow.refusals import EFirmaRefused
from workflow.throttle import Throttled

# The form fields of the steps signed with the e.firma: its two files, the terms' checkbox (whose
# value the e.firma form carries on as a hidden field once it was checked).
FileField = Annotated[UploadFile | None, File()]
Checkbox = Annotated[Text, Form(max_length=10)]
ACCEPTED = "1"

# A .cer or .key is one to three KiB; anything far larger is not one, and is not read further.
EFIRMA_FILE_LIMIT = 64 * 1024


class IncompleteEFirma(Exception):
    """A missing, empty or oversized e.firma file, or no password: refused before the e.firma
    is even tried (so a form sent half filled does not count as a wrong key password)."""


@dataclass(frozen=True)
class EFirmaInput:
    cer: bytes
    key: bytes
    password: str


def _file(upload: UploadFile | None, extension: str) -> bytes:
    if upload is None:
        raise IncompleteEFirma(f"Adjunte el archivo {extension} de su e.firma.")
    data = upload.file.read(EFIRMA_FILE_LIMIT + 1)
    if not data:
        raise IncompleteEFirma(
            f"El archivo {extension} que adjuntó está vacío. Adjunte el archivo {extension} de "
            "su e.firma."
        )
    if len(data) > EFIRMA_FILE_LIMIT:
        raise IncompleteEFirma(
            f"El archivo {extension} excede {EFIRMA_FILE_LIMIT // 1024} KiB; el de una e.firma "
            "pesa unos cuantos KiB. Verifique que adjuntó el archivo correcto."
        )
    return data


def efirma_input(cer: UploadFile | None, key: UploadFile | None, password: str) -> EFirmaInput:
    """The three things an e.firma is, checked only for being there (the workflow checks the
    rest); IncompleteEFirma names the first one missing."""
    cer_bytes = _file(cer, ".CER")
    key_bytes = _file(key, ".KEY")
    if not password:
        raise IncompleteEFirma("Escriba la contraseña de la Firma electrónica avanzada.")
    return EFirmaInput(cer_bytes, key_bytes, password)


def portal_context(company: SignedInCompany, tab: str) -> dict[str, Any]:
    """The header (who is signed in) and the tabs every page of the service shows."""
    kind = company.organization.kind
    return {
        "company": company.organization,
        "kind_label": KIND_LABELS[kind],
        "is_patron": kind is OrganizationKind.PATRON,
        "is_vendor": kind is OrganizationKind.DESARROLLADOR,
        "tab": tab,
    }


class EFirmaPage(abc.ABC):
    """«Agrega los archivos de la e.firma» of a step: each tab shows it in its own frame
    (``show``); why an e.firma was not taken is answered the same way everywhere."""

    @abc.abstractmethod
    def show(
        self,
        request: Request,
        company: SignedInCompany,
        *,
        error: str | None = None,
        code: int = status.HTTP_200_OK,
    ) -> HTMLResponse:
        """The form in its tab's frame, with ``error`` if any."""

    def refused(
        self, request: Request, company: SignedInCompany, exc: EFirmaRefused | Throttled
    ) -> HTMLResponse:
        """The form again with why the e.firma was not taken; after too many wrong key
        passwords, 429 and how long to wait."""
        if isinstance(exc, Throttled):
            response = self.show(
                request, company, error=str(exc), code=status.HTTP_429_TOO_MANY_REQUESTS
            )
            response.headers["Retry-After"] = str(exc.seconds)
            return response
        return self.show(request, company, error=str(exc), code=http_status(exc))
