"""The back office's avisos signing key, as configured for this deployment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.config import Settings, get_settings
from rules.signing import PRIVATE_KEY_FILE, load_or_create_keypair, load_private_key_pem

KEYS_SUBDIR = "llaves"
KeyPair = tuple[Ed25519PrivateKey, Ed25519PublicKey]


def avisos_keypair(settings: Settings | None = None) -> KeyPair:
    """The key pair, read again only when its file changes: every page of avisos is signed with
    it, and reading and parsing the PEM each time cost more than the signature."""
    settings = settings or get_settings()
    keys_dir = settings.storage / KEYS_SUBDIR
    path = settings.avisos_key_file or keys_dir / PRIVATE_KEY_FILE
    try:
        stat = path.stat()
        stamp: tuple[int, int, int] | None = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    except FileNotFoundError:
        stamp = None  # not generated yet: load_or_create_keypair makes it
    return _keypair(settings.avisos_key_file, keys_dir, stamp)


@lru_cache(maxsize=8)
def _keypair(key_file: Path | None, keys_dir: Path, stamp: tuple[int, int, int] | None) -> KeyPair:
    if key_file is not None:
        private_key = load_private_key_pem(key_file.read_bytes())
        return private_key, private_key.public_key()
    return load_or_create_keypair(keys_dir)
