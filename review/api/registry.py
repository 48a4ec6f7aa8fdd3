"""The public registry of certified vendors as JSON (issue 15), for anyone's systems: the
certificates in force, every certificate of one RFC, and one certificate by its folio."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import HTTPException, Path, Query, Response, status

from core.config import get_settings
from review import routing
from review.api.models.errors import INVALID, error_responses
from review.api.models.registry import Certificado, RegistroCertificados
from review.deps import DbSession
from review.inputs import Text
from review.pages.registry import REGISTRY_PATH, certificate_url, no_certificate
from workflow.registry import (
    MAX_PAGE,
    PAGE_SIZE,
    Certificate,
    certificate_by_folio,
    is_folio,
    list_certificates,
    normal_rfc,
)

router = routing.router(tags=["registro público"])

BAD_RFC = (
    "Solicitud inválida: «rfc» no tiene la forma de un RFC (12 caracteres para una persona "
    "moral, 13 para una física; p. ej. CAC840428RH1)."
)
BAD_FOLIO = "Solicitud inválida: «folio» debe tener 10 dígitos."


def certificado(found: Certificate) -> Certificado:
    return Certificado(
        rfc=found.rfc,
        razon_social=found.razon_social,
        folio=found.folio,
        certificado_desde=found.certified_at.isoformat(),
        estatus="certificado" if found.in_force else "cancelado",
        vigente=found.in_force,
        cancelado_el=found.cancelled_at.isoformat() if found.cancelled_at else None,
        url=certificate_url(found.folio),
    )


def _next_page(rfc: str | None, page: int) -> str:
    params = [("rfc", rfc)] if rfc else []
    query = urlencode([*params, ("pagina", str(page))])
    return f"{get_settings().base_url.rstrip('/')}/api/v1{REGISTRY_PATH}?{query}"


@router.get(
    REGISTRY_PATH,
    summary="Desarrolladores certificados",
    response_description="Una página del registro público de certificados",
    response_model=RegistroCertificados,
    responses=error_responses({422: INVALID}),
)
def registry(
    session: DbSession,
    response: Response,
    rfc: Annotated[
        Text | None,
        Query(
            description="RFC exacto de un desarrollador (12 o 13 caracteres): lista todos sus "
            "certificados, también los cancelados. Sin él, solo los vigentes.",
            examples=["CAC840428RH1"],
        ),
    ] = None,
    pagina: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Número de página, desde 1.")] = 1,
) -> RegistroCertificados:
    wanted = None
    if rfc is not None:
        wanted = normal_rfc(rfc)
        if wanted is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=BAD_RFC)
    page = list_certificates(session, rfc=wanted, page=pagina)
    response.headers["Cache-Control"] = "no-cache"
    return RegistroCertificados(
        certificados=[certificado(row) for row in page.rows],
        pagina=page.number,
        por_pagina=PAGE_SIZE,
        hay_mas=page.has_more,
        siguiente=_next_page(wanted, pagina + 1) if page.has_more else None,
    )


@router.get(
    REGISTRY_PATH + "/{folio}",
    summary="Un certificado del registro público",
    response_description="El certificado: vigente o cancelado",
    response_model=Certificado,
    responses=error_responses(
        {
            404: "No hay un certificado con ese folio",
            422: INVALID,
        }
    ),
)
def certificate(
    session: DbSession,
    response: Response,
    folio: Annotated[
        Text, Path(description="Folio del certificado: 10 dígitos.", examples=["0500000001"])
    ],
) -> Certificado:
    if not is_folio(folio):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=BAD_FOLIO)
    found = certificate_by_folio(session, folio)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=no_certificate(folio))
    response.headers["Cache-Control"] = "no-cache"
    return certificado(found)
