"""The back office's public key, so vendors can verify signed avisos responses."""

from __future__ import annotations

from fastapi.responses import Response

from core.keys import avisos_keypair
from review import routing
from rules.signing import public_key_pem

router = routing.router(tags=["avisos"])


@router.get(
    "/llave-publica",
    response_class=Response,
    responses={
        200: {
            "description": "La llave en PEM (SubjectPublicKeyInfo), no JSON",
            "content": {
                "application/x-pem-file": {
                    "schema": {"type": "string"},
                    "example": "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n",
                }
            },
        }
    },
    summary="Llave pública Ed25519 con la que se firman las respuestas de avisos",
)
def llave_publica() -> Response:
    _, public_key = avisos_keypair()
    return Response(public_key_pem(public_key), media_type="application/x-pem-file")
