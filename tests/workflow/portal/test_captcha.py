"""Image captchas (workflow.portal.captcha): a PNG, answered once, before it expires, and never
kept in clear."""

from __future__ import annotations

import hashlib
import io
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.clock import travel_to, utcnow
from schema import CaptchaChallenge
from workflow.portal.captcha import ALPHABET, LENGTH, LIFETIME, Challenge, new_challenge, solve

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _new(engine: Engine) -> Challenge:
    with Session(engine) as session:
        challenge = new_challenge(session)
        session.commit()
        return challenge


def _solve(engine: Engine, token: str, answer: str) -> bool:
    """One form submission: the challenge is spent in a transaction that commits."""
    with Session(engine) as session:
        right = solve(session, token, answer)
        session.commit()
        return right


def test_the_image_is_a_png_of_the_text(portal: Engine, captcha_texts: list[str]) -> None:
    challenge = _new(portal)
    assert challenge.png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(challenge.png))
    assert image.format == "PNG" and image.size == (220, 80)
    (text,) = captcha_texts
    assert len(text) == LENGTH and set(text) <= set(ALPHABET)
    assert len(challenge.token) >= 32


def test_the_answer_ignores_case_and_spaces(portal: Engine, captcha_texts: list[str]) -> None:
    challenge = _new(portal)
    text = captcha_texts[-1]
    spaced = " ".join(text.lower())
    assert _solve(portal, challenge.token, f"  {spaced}\t")


def test_a_challenge_is_answered_once(portal: Engine, captcha_texts: list[str]) -> None:
    right = _new(portal)
    assert _solve(portal, right.token, captcha_texts[-1])
    assert not _solve(portal, right.token, captcha_texts[-1])
    # A wrong answer spends it as well: every guess needs a new image.
    wrong = _new(portal)
    assert not _solve(portal, wrong.token, "00000")
    assert not _solve(portal, wrong.token, captcha_texts[-1])


def test_an_answer_fits_only_its_own_challenge(portal: Engine, captcha_texts: list[str]) -> None:
    first, second = _new(portal), _new(portal)
    assert first.token != second.token
    if captcha_texts[0] != captcha_texts[1]:
        assert not _solve(portal, second.token, captcha_texts[0])
    assert _solve(portal, first.token, captcha_texts[0])
    assert not _solve(portal, "token-inventado", captcha_texts[1])
    assert not _solve(portal, "", captcha_texts[1])


def test_an_expired_challenge_fails(portal: Engine, captcha_texts: list[str]) -> None:
    made = utcnow()
    early, late = _new(portal), _new(portal)
    with travel_to(made + LIFETIME - timedelta(seconds=5)):
        assert _solve(portal, early.token, captcha_texts[0])
    with travel_to(made + LIFETIME + timedelta(seconds=1)):
        assert not _solve(portal, late.token, captcha_texts[1])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_expired_challenges_are_pruned_as_new_ones_come(portal: Engine) -> None:
    _new(portal)
    with travel_to(utcnow() + LIFETIME + timedelta(minutes=1)):
        fresh = _new(portal)
    with Session(portal) as session:
        (row,) = session.exec(select(CaptchaChallenge)).all()
        assert row.id == hashlib.sha256(fresh.token.encode()).hexdigest()


def test_the_table_keeps_no_answer_and_no_token_in_clear(
    portal: Engine, captcha_texts: list[str]
) -> None:
    challenge = _new(portal)
    text = captcha_texts[-1]
    table = CaptchaChallenge.__table__  # type: ignore[attr-defined]
    with portal.connect() as connection:
        (row,) = connection.execute(sa.select(table)).all()
    stored = " ".join(str(value) for value in row)
    for clear in (text, text.lower(), challenge.token):
        assert clear not in stored
    # Not even a plain digest of it: the digest is keyed with the deployment's secret.
    digest = row._mapping["answer_digest"]
    for plain in (text, f"{challenge.token}:{text}"):
        assert digest != hashlib.sha256(plain.encode()).hexdigest()
    assert row._mapping["used_at"] is None


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_answers_at_the_same_time_use_a_challenge_once(
    portal: Engine, captcha_texts: list[str]
) -> None:
    challenge = _new(portal)
    text = captcha_texts[-1]
    with Session(portal) as first, ThreadPoolExecutor(max_workers=1) as pool:
        assert solve(first, challenge.token, text)  # the first request, not committed yet
        second = pool.submit(_solve, portal, challenge.token, text)  # another one, meanwhile
        time.sleep(0.5)  # it reaches the row (and waits there, were the row locked)
        first.commit()
        assert second.result(timeout=60) is False
