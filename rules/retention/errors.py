"""The error the retention calculator and its JSON contract raise on a case they cannot accept."""

from __future__ import annotations

__all__ = ["RetentionInputError", "clipped"]


class RetentionInputError(ValueError):
    """A case the calculator cannot accept; the message is Spanish and meant for the user."""


def clipped(text: str) -> str:
    """``text`` as quoted in a message: clipped so that the message stays readable."""
    return text if len(text) <= 60 else f"{text[:57]}..."
