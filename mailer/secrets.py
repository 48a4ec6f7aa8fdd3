"""Secrets an email carries (a generated password) are never stored in clear.

``seal`` encrypts them in the context written to the outbox, ``unseal`` decrypts them for the
one rendering that sends the email, and ``erase`` drops them from the row once the server has
accepted it. The key is derived from the application's secret (``SIA_SECRET_KEY``): a row sealed
under a key since rotated cannot be rendered and is dead-lettered like any unrenderable email.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.config import get_settings

# Where a secret may sit in any template's context.
SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("sandbox", "patron_password"),
    ("sia", "password"),
)
_SEALED = "sellado:v1:"


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"sia outbox secrets v1"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _holders(context: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """The (dict, key) of each secret present in ``context``."""
    for *parents, name in SECRET_PATHS:
        holder: Any = context
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and isinstance(holder.get(name), str):
            yield holder, name


def seal(context: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the JSON context with every secret encrypted."""
    sealed = copy.deepcopy(dict(context))
    fernet = _fernet(get_settings().secret())
    for holder, name in _holders(sealed):
        holder[name] = _SEALED + fernet.encrypt(holder[name].encode()).decode()
    return sealed


def unseal(context: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a stored context with its secrets readable again (ValueError if the key that
    sealed them is gone)."""
    opened = copy.deepcopy(dict(context))
    fernet = _fernet(get_settings().secret())
    for holder, name in _holders(opened):
        value: str = holder[name]
        if value.startswith(_SEALED):
            try:
                holder[name] = fernet.decrypt(value[len(_SEALED) :].encode()).decode()
            except InvalidToken:
                raise ValueError(
                    "a secret of this email was sealed with another SIA_SECRET_KEY"
                ) from None
    return opened


def has_secrets(context: Mapping[str, Any]) -> bool:
    return any(True for _ in _holders(dict(context)))


def erase(context: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a stored context without its secrets, for a row that has been sent (and so is
    never rendered again)."""
    erased = copy.deepcopy(dict(context))
    for holder, name in list(_holders(erased)):
        del holder[name]
    return erased
