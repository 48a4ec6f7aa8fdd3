"""Self-hosted image captchas: a few characters drawn by the ``captcha`` library, answered once.

The browser gets a random token and the image; the table keeps only a keyed digest of the answer
under the token's hash, so neither the table nor the page gives the answer away. A challenge is
spent by its first answer, right or wrong: a guesser needs a new image for every try.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from captcha.image import ImageCaptcha
from sqlmodel import Session, col, delete

from core.clock import utcnow
from core.config import get_settings
from schema import CaptchaChallenge

LIFETIME = timedelta(minutes=10)
LENGTH = 5
# No 0/O, 1/I/L, 5/S, 2/Z: characters a person confuses once distorted.
ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"


@dataclass(frozen=True)
class Challenge:
    token: str  # sent back with the answer
    png: bytes


@cache
def _drawer() -> ImageCaptcha:
    return ImageCaptcha(width=220, height=80)


def _id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _answer_digest(token: str, answer: str) -> str:
    key = get_settings().secret().encode()
    return hmac.new(key, f"{token}:{answer}".encode(), hashlib.sha256).hexdigest()


def normalized_answer(answer: str) -> str:
    return "".join(answer.split()).upper()


def new_challenge(session: Session) -> Challenge:
    """A challenge stored in the caller's transaction (the caller commits)."""
    now = utcnow()
    session.exec(delete(CaptchaChallenge).where(col(CaptchaChallenge.expires_at) < now))
    token = secrets.token_urlsafe(24)
    text = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    session.add(
        CaptchaChallenge(
            id=_id(token), answer_digest=_answer_digest(token, text), expires_at=now + LIFETIME
        )
    )
    return Challenge(token, _drawer().generate(text, format="png").getvalue())


def solve(session: Session, token: str, answer: str) -> bool:
    """Whether ``answer`` is right for the live challenge ``token``; the challenge is spent
    either way (the caller commits)."""
    if not token or len(token) > 100 or len(answer) > 50:
        return False
    # Locked and read afresh: two requests answering one challenge at once get one answer.
    row = session.get(CaptchaChallenge, _id(token), with_for_update=True, populate_existing=True)
    now = utcnow()
    if row is None or row.used_at is not None or now >= row.expires_at:
        return False
    row.used_at = now
    session.add(row)
    expected = row.answer_digest.encode()
    return hmac.compare_digest(expected, _answer_digest(token, normalized_answer(answer)).encode())
