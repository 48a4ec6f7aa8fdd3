"""Sign-in throttling: counts per account and address, per address, and a window that ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.clock import utcnow
from schema import SignInFailure
from workflow.throttle import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    WINDOW,
    Attempt,
    Door,
    Throttled,
    record_failure,
    record_success,
    seconds_to_wait,
    throttled,
)

ANA = Attempt(Door.PERSONAL, "ana@infonavit.example", "10.0.0.7")


def _fail(session: Session, attempt: Attempt, times: int, at=None) -> None:
    for _ in range(times):
        record_failure(session, attempt, at or utcnow())
    session.commit()


def test_an_account_waits_after_its_limit_from_one_address_only(engine) -> None:
    with Session(engine) as session:
        now = utcnow()
        _fail(session, ANA, ACCOUNT_LIMIT - 1, now)
        assert seconds_to_wait(session, ANA, now) == 0
        _fail(session, ANA, 1, now)
        assert seconds_to_wait(session, ANA, now) == WINDOW.total_seconds()
        assert seconds_to_wait(session, ANA, now + WINDOW - timedelta(seconds=61)) == 61
        assert seconds_to_wait(session, ANA, now + WINDOW) == 0
        # The owner, from elsewhere, is not locked out.
        assert seconds_to_wait(session, Attempt(Door.PERSONAL, ANA.account, "10.0.0.8"), now) == 0


def test_an_address_guessing_many_accounts_waits(engine) -> None:
    with Session(engine) as session:
        now = utcnow()
        for i in range(ADDRESS_LIMIT):
            record_failure(session, Attempt(Door.PERSONAL, f"u{i}@x.example", ANA.address), now)
        session.commit()
        assert (
            seconds_to_wait(session, Attempt(Door.PERSONAL, "nueva@x.example", ANA.address), now)
            > 0
        )
        assert (
            seconds_to_wait(session, Attempt(Door.PERSONAL, "nueva@x.example", "10.9.9.9"), now)
            == 0
        )


def test_success_clears_the_account_and_old_failures_are_purged(engine) -> None:
    with Session(engine) as session:
        long_ago = utcnow() - WINDOW - timedelta(minutes=1)
        _fail(session, Attempt(Door.PERSONAL, "viejo@x.example", "10.1.1.1"), 3, long_ago)
        _fail(session, ANA, 2)
        record_success(session, ANA)
        session.commit()
        keys = session.exec(select(SignInFailure.key)).all()
    # Only ANA's address count is left: the old rows went with the first new failure.
    assert keys == [f"personal|ip:{ANA.address}"] * 2


def test_throttled_counts_a_failed_check_and_refuses_without_checking(engine) -> None:
    checked: list[str] = []

    def wrong() -> None:
        checked.append("x")
        return None

    with Session(engine) as session:
        for _ in range(ACCOUNT_LIMIT):
            assert throttled(session, ANA, wrong) is None
        with pytest.raises(Throttled, match="Vuelva a intentarlo en 15 minutos") as raised:
            throttled(session, ANA, lambda: "nunca")
    assert raised.value.seconds == WINDOW.total_seconds()
    assert len(checked) == ACCOUNT_LIMIT
    with Session(engine) as session:  # the failures were committed by throttled itself
        assert seconds_to_wait(session, ANA, utcnow()) > 0


def test_an_absurdly_long_user_name_is_counted_not_a_crash(engine) -> None:
    attempt = Attempt(Door.PORTAL, "X" * 10_000, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")
    with Session(engine) as session:
        for _ in range(ACCOUNT_LIMIT):
            assert throttled(session, attempt, lambda: None) is None
        assert seconds_to_wait(session, attempt, utcnow()) > 0


def test_each_door_counts_on_its_own(engine) -> None:
    """A vendor failing at the portal from the office's address does not lock staff out."""
    with Session(engine) as session:
        now = utcnow()
        for i in range(ADDRESS_LIMIT):
            record_failure(session, Attempt(Door.PORTAL, f"RFC{i}", ANA.address), now)
        session.commit()
        assert seconds_to_wait(session, Attempt(Door.PORTAL, "OTRO", ANA.address), now) > 0
        assert seconds_to_wait(session, ANA, now) == 0
