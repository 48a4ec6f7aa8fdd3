"""The avisos signing key is read once per version of its file."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from core.config import Settings
from core.keys import avisos_keypair
from rules.signing import public_key_pem


def _pem() -> bytes:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def test_a_configured_key_file_is_cached_until_it_is_replaced(tmp_path: Path) -> None:
    key_file = tmp_path / "llave.pem"
    key_file.write_bytes(_pem())
    settings = Settings(var_dir=tmp_path / "var", avisos_key_file=key_file)
    first = avisos_keypair(settings)
    assert avisos_keypair(settings)[0] is first[0], "read again although the file did not change"
    replacement = tmp_path / "nueva.pem"
    replacement.write_bytes(_pem())
    replacement.replace(key_file)  # how an operator rotates it: a new file in its place
    rotated = avisos_keypair(settings)
    assert public_key_pem(rotated[1]) != public_key_pem(first[1])


def test_the_generated_key_is_created_once_and_then_reused(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    created = avisos_keypair(settings)
    again = avisos_keypair(settings)
    assert public_key_pem(again[1]) == public_key_pem(created[1])
    assert avisos_keypair(settings)[0] is again[0]
