"""The back office's avisos signing key, as configured for this deployment."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.config import Settings, get_settings
from rules.signing import load_or_create_keypair, load_private_key_pem

KEYS_SUBDIR = "llaves"


def avisos_keypair(settings: Settings | None = None) -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    settings = settings or get_settings()
    if settings.avisos_key_file is not None:
        private_key = load_private_key_pem(settings.avisos_key_file.read_bytes())
        return private_key, private_key.public_key()
    return load_or_create_keypair(settings.storage / KEYS_SUBDIR)
