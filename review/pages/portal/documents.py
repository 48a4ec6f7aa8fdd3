"""The company's signed documents (responsivas, acuses) as PDF downloads: only its own; another
company's folio is answered exactly like a folio that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path, status
from fastapi.responses import Response

from review import routing
from review.deps import CurrentCompany, DbSession
from review.inputs import Text
from schema import Document, DocumentKind
from workflow.acuses import acuse_bytes
from workflow.portal.sia_password import company_document

router = routing.router(include_in_schema=False)

# What the tab's table calls each document.
LABELS: dict[DocumentKind, str] = {
    DocumentKind.RESPONSIVA_CONTRASENA: "Responsiva de generación de contraseña",
    DocumentKind.ACUSE_SOLICITUD: "Acuse de solicitud de certificación",
    DocumentKind.ACUSE_APROBACION: "Acuse de aprobación de la certificación",
    DocumentKind.ACUSE_CANCELACION: "Acuse de cancelación de la certificación",
    DocumentKind.ACUSE_RELACION: "Acuse de relación de confianza",
    DocumentKind.ACUSE_CANCELACION_RELACION: "Acuse de cancelación de relación de confianza",
}


def download_path(document: Document) -> str:
    return f"/portal/documentos/{document.folio}.pdf"


def _filename(document: Document) -> str:
    stem = "responsiva" if document.kind is DocumentKind.RESPONSIVA_CONTRASENA else "acuse"
    return f"{stem}-{document.folio}.pdf"


@router.get("/portal/documentos/{documento}.pdf")
def download(
    company: CurrentCompany,
    session: DbSession,
    documento: Annotated[Text, Path(max_length=20, description="Folio del documento")],
) -> Response:
    document = company_document(session, company.organization, documento)
    if document is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"No se encontró el documento con folio «{documento}» entre los de su empresa.",
        )
    return Response(
        acuse_bytes(document),
        media_type="application/pdf",
        headers={
            # The folio is 10 digits: nothing to quote or escape in the name.
            "Content-Disposition": f'attachment; filename="{_filename(document)}"',
            # A company's signed documents stay out of shared caches.
            "Cache-Control": "private, no-store",
        },
    )
