"""The ``firma`` of avisos documents (DOMAIN §5) and the back office's Ed25519 key pair.

The signature covers the *canonical form*: the document without its top-level ``firma``,
serialized as JSON with sorted keys, no spaces, UTF-8 and ``ensure_ascii=False``. Because it is
computed from the parsed document, a verifier accepts any key order or indentation of the text
it received, and rejects any change of a value or of the set of keys.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

SIGNATURE_FIELD = "firma"
PRIVATE_KEY_FILE = "llave-privada.pem"
PUBLIC_KEY_FILE = "llave-publica.pem"

_SIGNATURE_BYTES = 64


class CanonicalFormError(ValueError):
    """The document holds a value with no single JSON spelling (a float, a non-string key...)."""


class InvalidSignatureError(Exception):
    """The ``firma`` is missing, malformed or does not match the document; Spanish message."""


class KeyFormatError(ValueError):
    """A PEM that is not an Ed25519 key of the expected kind; Spanish message."""


def _check_canonical(value: object, path: str) -> None:
    # bool is an int subclass and fine; float is refused because 1.0, 1.00 and 1e0 are one float
    # but several texts, and the format carries decimals as strings anyway (DOMAIN §5).
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        raise CanonicalFormError(
            f"{path}: los números con decimales deben ir como texto, no como float ({value!r})."
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalFormError(f"{path}: las claves deben ser texto ({key!r}).")
            _check_canonical(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_canonical(item, f"{path}[{index}]")
        return
    raise CanonicalFormError(f"{path}: tipo no admitido en el documento ({type(value).__name__}).")


def canonical_json(document: Mapping[str, Any], *, json_without_floats: bool = False) -> bytes:
    """The bytes that ``firma`` signs (see the module docstring).

    ``json_without_floats`` is the caller's word that ``document`` is what ``json.loads`` built
    from text holding no number with a fraction or exponent (its ``parse_float`` hook never ran).
    Such a document has only string keys and values of one spelling each, so the walk that
    proves it, which costs more than the serialization itself, is skipped.
    """
    unsigned = {key: value for key, value in document.items() if key != SIGNATURE_FIELD}
    if json_without_floats:
        # orjson writes exactly the bytes below (sorted by code point, the same escapes, UTF-8)
        # several times faster; what it refuses (an integer past 64 bits, a lone surrogate,
        # nesting past 255 levels) takes the standard library's road to its own outcome.
        with contextlib.suppress(orjson.JSONEncodeError):
            return orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)
    else:
        _check_canonical(unsigned, "$")
    text = json.dumps(
        unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800" is valid JSON text) has no UTF-8 form.
        raise CanonicalFormError("El documento contiene texto que no es Unicode válido.") from None


def signature(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    json_without_floats: bool = False,
) -> str:
    """The ``firma`` of *document*, in base64 (``json_without_floats``: see canonical_json)."""
    canonical = canonical_json(document, json_without_floats=json_without_floats)
    return base64.b64encode(private_key.sign(canonical)).decode("ascii")


def sign_document(document: Mapping[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """A deep copy of *document* with ``firma`` set (any previous ``firma`` is replaced)."""
    signed = copy.deepcopy(dict(document))
    signed[SIGNATURE_FIELD] = signature(document, private_key)
    return signed


def signed_json(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    json_without_floats: bool = False,
) -> bytes:
    """*document* signed, as JSON text ready to send: its canonical form with ``firma`` as the
    last member. Parsed, it is what :func:`sign_document` returns; the one serialization that is
    signed is also the one sent, and *document* is neither copied nor changed."""
    canonical = canonical_json(document, json_without_floats=json_without_floats)
    firma = base64.b64encode(private_key.sign(canonical))
    members = canonical[:-1] + (b"," if len(canonical) > 2 else b"")
    return members + b'"' + SIGNATURE_FIELD.encode() + b'":"' + firma + b'"}'


def _decode_signature(encoded: object) -> bytes | None:
    if not isinstance(encoded, str):
        return None
    try:
        signature = base64.b64decode(encoded, validate=True)
    except ValueError:
        return None
    # Re-encoding refuses texts that differ only in padding bits: one signature, one spelling.
    canonical = base64.b64encode(signature).decode("ascii") == encoded
    return signature if canonical and len(signature) == _SIGNATURE_BYTES else None


def check_document(
    document: Mapping[str, Any], public_key: Ed25519PublicKey, *, json_without_floats: bool = False
) -> None:
    """Raise :class:`InvalidSignatureError` unless *document* carries a valid ``firma``.

    ``json_without_floats`` as for :func:`canonical_json`.
    """
    encoded = document.get(SIGNATURE_FIELD)
    if encoded is None:
        raise InvalidSignatureError("El documento no tiene firma.")
    signature = _decode_signature(encoded)
    if signature is None:
        raise InvalidSignatureError("La firma del documento no es una firma Ed25519 en base64.")
    try:
        public_key.verify(
            signature, canonical_json(document, json_without_floats=json_without_floats)
        )
    except (InvalidSignature, CanonicalFormError):
        # A document we signed never holds floats, so one that does was altered.
        raise InvalidSignatureError(
            "La firma no corresponde al contenido del documento: fue alterado o no lo emitió "
            "este sistema."
        ) from None


def verify_document(document: Mapping[str, Any], public_key: Ed25519PublicKey) -> bool:
    """True when *document* carries a valid ``firma`` for *public_key*."""
    try:
        check_document(document, public_key)
    except InvalidSignatureError:
        return False
    return True


def load_private_key_pem(data: bytes) -> Ed25519PrivateKey:
    """An unencrypted PKCS#8 PEM Ed25519 private key (production configuration)."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise KeyFormatError(
            "La llave privada no es un PEM PKCS#8 legible y sin contraseña."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("La llave privada no es de tipo Ed25519.")
    return key


def load_public_key_pem(data: bytes) -> Ed25519PublicKey:
    """A SubjectPublicKeyInfo PEM Ed25519 public key, as published for vendors."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise KeyFormatError("La llave pública no es un PEM legible.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFormatError("La llave pública no es de tipo Ed25519.")
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _private_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_temporary(directory: Path, data: bytes, mode: int) -> Path:
    """A fully written, fsynced file in *directory* with exactly *mode* (whatever the umask)."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".llave-", suffix=".tmp")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(fd, mode)
            file.write(data)
            file.flush()
            os.fsync(fd)
    except BaseException:
        path.unlink()
        raise
    return path


def load_or_create_keypair(directory: Path) -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    """The back office's key pair kept in *directory*, generated there on first use.

    The private key (``llave-privada.pem``, PKCS#8 PEM, mode 0600) appears atomically and is
    never replaced: it is written to a temporary file and hard-linked into place, which fails if
    another process got there first, in which case that process's key is used. The public key
    (``llave-publica.pem``) is derived from it and rewritten whenever it does not match.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    private_path = directory / PRIVATE_KEY_FILE
    if not private_path.exists():
        pem = _private_key_pem(Ed25519PrivateKey.generate())
        candidate = _write_temporary(directory, pem, 0o600)
        try:
            # link, unlike rename, never overwrites: the first process to link wins.
            with contextlib.suppress(FileExistsError):
                private_path.hardlink_to(candidate)
        finally:
            candidate.unlink()
    private_key = load_private_key_pem(private_path.read_bytes())
    public_key = private_key.public_key()

    public_path = directory / PUBLIC_KEY_FILE
    expected = public_key_pem(public_key)
    if not public_path.exists() or public_path.read_bytes() != expected:
        _write_temporary(directory, expected, 0o644).replace(public_path)
    return private_key, public_key
