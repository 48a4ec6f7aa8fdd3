"""The portal tests run on the real databases with the test SAT as the trust store; tasks sent
after commits are recorded, not sent."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from captcha.image import ImageCaptcha
from sqlalchemy.engine import Engine

from core.config import Settings
from workflow.portal import captcha


@pytest.fixture
def portal(
    portal_settings: Settings, engine: Engine, sent_tasks: list[tuple[str, tuple[Any, ...]]]
) -> Engine:
    """The test database's engine, with process settings trusting the test SAT."""
    return engine


class _Spy:
    """Draws as the real captcha does and remembers each text drawn."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._real = ImageCaptcha(width=220, height=80)

    def generate(self, chars: str, format: str = "png") -> BytesIO:
        self.texts.append(chars)
        return self._real.generate(chars, format=format)


@pytest.fixture
def captcha_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every captcha drawn during the test, in order (what the person reads)."""
    spy = _Spy()
    monkeypatch.setattr(captcha, "_drawer", lambda: spy)
    return spy.texts
