"""The e.firma tests use the session's test SAT from tests/conftest.py (``lab``, ``trust_dir``)
and its trust store."""

from __future__ import annotations

from pathlib import Path

import pytest

from efirma.trust import TrustStore, load_trust_store


@pytest.fixture(scope="session")
def trust(trust_dir: Path) -> TrustStore:
    return load_trust_store(trust_dir)
