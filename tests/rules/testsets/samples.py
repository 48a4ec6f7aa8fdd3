"""A test set generated from fixed inputs, and a helper to vary them."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rules.testsets.generate import GeneratedTestSet, generate_test_set

MX = ZoneInfo("America/Mexico_City")
EMITIDO = datetime(2026, 3, 2, 10, 0, tzinfo=MX)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def generate(seed: str = "semilla-fija", **overrides: Any) -> GeneratedTestSet:
    arguments: dict[str, Any] = {
        "seed": seed,
        "vendor_rfc": "CAC840428RH1",
        "folio": "0501423523",
        "round": 1,
        "emitido": EMITIDO,
        "private_key": KEY,
    }
    return generate_test_set(**(arguments | overrides))
