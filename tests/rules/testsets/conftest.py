import pytest

from rules.testsets.generate import GeneratedTestSet
from tests.rules.testsets.samples import generate


@pytest.fixture(scope="module")
def generated() -> GeneratedTestSet:
    return generate()
