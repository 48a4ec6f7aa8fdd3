"""The session's test SAT (tests/efirma/factory.py) and its trust store."""

from __future__ import annotations

from pathlib import Path

import pytest

from efirma.trust import TrustStore, load_trust_store
from tests.efirma.factory import Lab


@pytest.fixture(scope="session")
def lab() -> Lab:
    return Lab()


@pytest.fixture(scope="session")
def trust_dir(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lab.write_trust_dir(tmp_path_factory.mktemp("confianza"))


@pytest.fixture(scope="session")
def trust(trust_dir: Path) -> TrustStore:
    return load_trust_store(trust_dir)
