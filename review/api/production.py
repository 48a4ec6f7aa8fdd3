"""The production avisos service (DOMAIN §2 process 4): a certified vendor's payroll system and
a patrón that trusts it open a session together, then download the patrón's avisos page by
page. Beside the sandbox, under its own prefix, with the same JSON shapes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from core.config import get_settings
from review import routing
from review.api.bearer import bearer_token, unauthorized
from review.api.models.errors import INVALID, THROTTLED, error_responses
from review.api.models.production import RespuestaAvisosProduccion, SolicitudSesionProduccion
from review.api.models.sandbox import Sesion
from review.deps import DbSession, client_address, new_session
from review.inputs import Text
from review.ratelimit import counter
from review.refusals import http_status
from schema import AvisoClase
from workflow.avisos.gate import (
    TOKEN_SECONDS,
    Pair,
    authenticate_pair,
    check_pair,
    issue_pair_token,
    pair_attempt,
    pair_of_token,
)
from workflow.avisos.service import DEFAULT_PAGE, MAX_PAGE, AvisosQuery, avisos_page
from workflow.refusals import GateRefused
from workflow.throttle import throttled

router = routing.router(prefix="/produccion", tags=["servicio de avisos (producción)"])
_bearer = HTTPBearer(
    auto_error=False, description="Token obtenido en POST /api/v1/produccion/sesiones"
)
REFUSALS = {
    401: "Credenciales incorrectas, o token ausente, inválido, expirado o de una contraseña SIA "
    "que cambió",
    403: "El desarrollador no está certificado, o la relación de confianza no está vigente "
    "(cancelada, vencida, sin efecto o en proceso)",
}


def _refused(exc: GateRefused) -> HTTPException:
    code = http_status(exc)
    if code == status.HTTP_401_UNAUTHORIZED:
        return unauthorized(str(exc))
    return HTTPException(code, detail=str(exc))


@router.post(
    "/sesiones",
    response_model=Sesion,
    summary="Abre una sesión con las credenciales del desarrollador y del patrón",
    response_description="Token de la sesión, ligado a ese desarrollador y ese patrón",
    responses=error_responses(
        {**REFUSALS, 413: "El cuerpo excede 64 KiB", 422: INVALID, 429: THROTTLED}
    ),
)
def open_session(request: Request, body: SolicitudSesionProduccion, session: DbSession) -> Sesion:
    found = throttled(
        session,
        pair_attempt(body.desarrollador.rfc, body.patron.nrp, client_address(request)),
        lambda: authenticate_pair(
            session,
            rfc=body.desarrollador.rfc,
            password=body.desarrollador.password,
            nrp=body.patron.nrp,
            patron_password=body.patron.password,
        ),
    )
    if found is None:
        raise unauthorized("Credenciales incorrectas del desarrollador o del patrón.")
    try:
        pair = check_pair(session, *found)
    except GateRefused as exc:
        raise _refused(exc) from None
    return Sesion(token=issue_pair_token(pair), expiraEn=TOKEN_SECONDS)


async def _token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    return bearer_token(credentials)


def _throttle(pair: Pair) -> None:
    limit = get_settings().avisos_pages_per_minute
    wait = counter().wait(f"avisos:{pair.vendor_id}", limit, 60)
    if wait:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"Su sistema excedió {limit} consultas por minuto; espere {wait} segundos.",
            headers={"Retry-After": str(wait)},
        )


def _serve_page(token: str, query: AvisosQuery) -> bytes:
    """The whole page on one thread of the pool, with one connection: the gate, the limit,
    the page and its record."""
    with new_session() as session:
        try:
            pair = pair_of_token(session, token)
            _throttle(pair)
            page = avisos_page(session, pair, query)
        except GateRefused as exc:
            raise _refused(exc) from None
        session.commit()  # the download is recorded with its folio
    return page


@router.get(
    "/avisos",
    summary="Avisos del patrón, por páginas (respuesta firmada con Ed25519)",
    response_description="Página firmada; verifique «firma» con la llave pública",
    # Documentation only: the signed document goes out as it is (see the sandbox's route).
    response_model=RespuestaAvisosProduccion,
    responses=error_responses(
        {
            400: "«hasta» anterior a «desde», «limite» fuera de rango o un cursor de otra consulta",
            **REFUSALS,
            422: "Una fecha, un NSS o una clase no tienen el formato esperado",
            429: "Demasiadas consultas por minuto; espere los segundos de «Retry-After»",
        }
    ),
)
async def get_avisos(
    token: Annotated[str, Depends(_token)],
    desde: Annotated[date | None, Query(description="Fecha de aviso inicial AAAA-MM-DD")] = None,
    hasta: Annotated[date | None, Query(description="Fecha de aviso final AAAA-MM-DD")] = None,
    nss: Annotated[
        Text | None, Query(pattern=r"^\d{11}$", description="NSS de un trabajador")
    ] = None,
    clase: Annotated[AvisoClase | None, Query(description="Clase de aviso")] = None,
    limite: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description=f"Avisos por página (máximo {MAX_PAGE})")
    ] = DEFAULT_PAGE,
    cursor: Annotated[
        Text | None, Query(max_length=500, description="«siguiente» de la página anterior")
    ] = None,
) -> Response:
    # One hop to the thread pool for everything that blocks, instead of one per dependency.
    query = AvisosQuery(desde, hasta, nss, clase, limite, cursor)
    page = await run_in_threadpool(_serve_page, token, query)
    return Response(page, media_type="application/json")
