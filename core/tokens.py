"""Short-lived signed tokens (sandbox bearer tokens), bound to this deployment's secret."""

from __future__ import annotations

import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.config import get_settings


class TokenError(Exception):
    """Invalid or expired token; the message is Spanish and safe to show."""


class TokenExpired(TokenError):
    """A token that was valid once."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret(), salt=f"sia:{purpose}")


def issue_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age_seconds: int) -> dict[str, Any]:
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise TokenExpired("El token expiró; solicite uno nuevo en /api/v1/sesiones.") from None
    except BadSignature:
        raise TokenError("El token no es válido.") from None
    if not isinstance(payload, dict):
        raise TokenError("El token no es válido.")
    return payload


def new_password() -> str:
    """A random password to email once (only its argon2 hash is kept)."""
    return secrets.token_urlsafe(12)
