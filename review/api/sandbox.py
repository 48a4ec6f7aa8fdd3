"""The sandbox avisos service a vendor's payroll system calls during certification (DOMAIN §5).

Both parties authenticate at once, as in production: the vendor (RFC + SIA password) and the
fictitious patrón of its test set (NRP + the password sent with the test set).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.tokens import TokenError, issue_token, read_token
from review import routing
from review.api.bearer import bearer_token, unauthorized
from review.api.models.errors import INVALID, THROTTLED, error_responses
from review.api.models.sandbox import RespuestaAvisos, Sesion, SolicitudSesion
from review.deps import DbSession, client_address
from schema import TestSet
from workflow.testsets import (
    authenticate_sandbox,
    avisos_response,
    sandbox_attempt,
    sandbox_vendor,
)
from workflow.throttle import throttled

router = routing.router(tags=["sandbox de avisos"])

SESSION_SCOPE = "sandbox-avisos"
TOKEN_SECONDS = 15 * 60
_bearer = HTTPBearer(auto_error=False, description="Token obtenido en POST /api/v1/sesiones")


@router.post(
    "/sesiones",
    response_model=Sesion,
    summary="Abre una sesión con las credenciales del desarrollador y del patrón",
    response_description="Token de la sesión",
    responses=error_responses(
        {
            400: "El cuerpo no se puede leer (por ejemplo, no es UTF-8)",
            401: "Credenciales incorrectas del desarrollador o del patrón",
            413: "El cuerpo excede 64 KiB",
            422: INVALID,
            429: THROTTLED,
        }
    ),
)
def open_session(request: Request, body: SolicitudSesion, session: DbSession) -> Sesion:
    test_set = throttled(
        session,
        sandbox_attempt(body.desarrollador.rfc, body.patron.nrp, client_address(request)),
        lambda: authenticate_sandbox(
            session,
            rfc=body.desarrollador.rfc,
            password=body.desarrollador.password,
            nrp=body.patron.nrp,
            patron_password=body.patron.password,
        ),
    )
    if test_set is None:
        raise unauthorized("Credenciales incorrectas del desarrollador o del patrón.")
    vendor = sandbox_vendor(session, test_set)
    # The password's version rides in the token: cancelling or replacing the SIA password
    # ends the sessions opened with the old one at once.
    token = issue_token(
        SESSION_SCOPE, {"test_set": test_set.id, "password": vendor.sia_password_version}
    )
    return Sesion(token=token, expiraEn=TOKEN_SECONDS)


def _test_set(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TestSet:
    try:
        payload = read_token(SESSION_SCOPE, bearer_token(credentials), TOKEN_SECONDS)
    except TokenError as exc:
        raise unauthorized(str(exc)) from None
    test_set = session.get(TestSet, payload.get("test_set"))
    if test_set is None:
        raise unauthorized("El token no es válido.")
    vendor = sandbox_vendor(session, test_set)
    if vendor.sia_password_hash is None or vendor.sia_password_version != payload.get("password"):
        raise unauthorized(
            "La contraseña SIA con la que se abrió la sesión ya no es válida; abra otra."
        )
    return test_set


@router.get(
    "/avisos",
    summary="Avisos del patrón (respuesta firmada con Ed25519)",
    response_description="Respuesta firmada; verifique «firma» con la llave pública",
    # Documentation only: the route returns the stored signed document as it is. Passed through
    # the model, a key the model does not know would be dropped (or a value coerced) and the
    # «firma» would no longer match what the vendor receives.
    response_model=RespuestaAvisos,
    responses=error_responses(
        {
            400: "«hasta» es anterior a «desde»",
            401: "Token ausente, inválido o expirado",
            422: "Una fecha no tiene el formato AAAA-MM-DD",
        }
    ),
)
def get_avisos(
    session: DbSession,
    test_set: Annotated[TestSet, Depends(_test_set)],
    desde: Annotated[date | None, Query(description="Fecha inicial AAAA-MM-DD")] = None,
    hasta: Annotated[date | None, Query(description="Fecha final AAAA-MM-DD")] = None,
) -> JSONResponse:
    if desde and hasta and hasta < desde:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="«hasta» es anterior a «desde».")
    response = avisos_response(session, test_set, desde, hasta)
    session.commit()  # a narrowed response used a new folio
    return JSONResponse(response)
