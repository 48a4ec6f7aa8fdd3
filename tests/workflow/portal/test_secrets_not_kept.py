"""Nothing secret the company hands in or receives is logged or stored: not the e.firma's
password, not its private key (as the ``.key`` file, unencrypted, base64 or hex), not the portal
password, and not the SIA password in clear (the outbox keeps it sealed until sent).

A whole registration, sign-in, generation, recovery and sending of the emails runs with every
logger at DEBUG (SQLAlchemy then logs each statement with its parameters); then every log record
and every value of every row of every table is searched.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from sqlalchemy.engine import Engine
from sqlmodel import Session

import schema
from core.db import session_scope
from mailer.backends import FileBackend
from mailer.relay import RelayPolicy, relay_pending
from tests.efirma.factory import Lab
from tests.workflow.portal.helpers import (
    ADDRESS,
    DESARROLLADOR_RFC,
    EMAIL,
    USER_AGENT,
    D,
    efirma_of,
    emailed_password,
    emails,
    form,
    generate_password,
    loaded,
    register_company,
)
from workflow.portal.accounts import authenticate_company, open_company_session, register
from workflow.portal.captcha import new_challenge
from workflow.portal.sia_password import recover_password, sign_generation
from workflow.refusals import EFirmaRefused

EFIRMA_PASSWORD = "Zafiro-eFirma-9137-Ñu"
WRONG_EFIRMA_PASSWORD = "Zafiro-eFirma-Equivocada-4420"
PORTAL_PASSWORD = "Turquesa-Portal-5581-Ñandú"
WRONG_PORTAL_PASSWORD = "Turquesa-Portal-Equivocada-0027"


def _texts_of(data: bytes) -> list[str]:
    """How bytes would look once written as text."""
    return [
        base64.b64encode(data).decode(),
        base64.urlsafe_b64encode(data).decode(),
        data.hex(),
        data.hex().upper(),
    ]


def _middle(data: bytes, size: int = 48) -> bytes:
    """A piece from the middle (offset a multiple of 3: its base64 is a piece of the whole's)."""
    start = (len(data) // 2) // 3 * 3
    return data[start : start + size]


def _database_values(engine: Engine) -> Iterator[tuple[str, Any]]:
    """(table.column, value) of every value in the database."""
    with engine.connect() as connection:
        for table in schema.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                for column, value in row._mapping.items():
                    yield f"{table.name}.{column}", value


def _as_text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str) + repr(value)
    return str(value)


def _log_texts(records: list[logging.LogRecord]) -> Iterator[tuple[str, str, list[bytes]]]:
    """(where, everything the record says as text, the bytes it carries) of each record."""
    for record in records:
        carried = record.args if isinstance(record.args, tuple) else (record.args,)
        raw = [bytes(arg) for arg in carried if isinstance(arg, bytes | bytearray | memoryview)]
        text = "\n".join(
            [record.getMessage(), repr(record.args), *(str(v) for v in vars(record).values())]
        )
        yield f"{record.name}:{record.lineno}", text, raw


@pytest.fixture
def key_der(lab: Lab) -> bytes:
    """The company's private key as unencrypted PKCS#8 DER."""
    return lab.company_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_no_password_or_key_is_logged_or_stored(
    portal: Engine,
    lab: Lab,
    key_der: bytes,
    captcha_texts: list[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger without its own level
    for name, logger in list(logging.root.manager.loggerDict.items()):
        # And those with one (SQLAlchemy sets "sqlalchemy" to WARNING): statements, their
        # parameters and the rows they return are then logged too.
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            caplog.set_level(logging.DEBUG, logger=name)
    files = efirma_of(lab, DESARROLLADOR_RFC, password=EFIRMA_PASSWORD)

    # A wrong e.firma password first (it is counted, and must not be written down either).
    with Session(portal) as session, pytest.raises(EFirmaRefused):
        register(
            session,
            form(D, DESARROLLADOR_RFC, password=PORTAL_PASSWORD),
            cer=files.cer,
            key=files.key,
            efirma_password=WRONG_EFIRMA_PASSWORD,
            address=ADDRESS,
        )
    company = register_company(
        portal, lab, files=files, efirma_password=EFIRMA_PASSWORD, portal_password=PORTAL_PASSWORD
    )
    with Session(portal) as session:
        assert (
            authenticate_company(session, DESARROLLADOR_RFC, EMAIL, WRONG_PORTAL_PASSWORD) is None
        )
        found = authenticate_company(session, DESARROLLADOR_RFC, EMAIL, PORTAL_PASSWORD)
        assert found is not None
        open_company_session(session, found[0], address=ADDRESS, user_agent=USER_AGENT)
        session.commit()
    # «Validar» with the wrong password, then the whole generation.
    with Session(portal) as session, pytest.raises(EFirmaRefused):
        account, organization = loaded(session, company)
        sign_generation(
            session,
            account,
            organization,
            accepted_terms=True,
            cer=files.cer,
            key=files.key,
            efirma_password=WRONG_EFIRMA_PASSWORD,
            address=ADDRESS,
        )
    generated = generate_password(portal, company)
    with Session(portal) as session:
        token = new_challenge(session).token
        session.commit()
    with Session(portal) as session:
        account, organization = loaded(session, company)
        recover_password(
            session, account, organization, captcha_token=token, captcha_answer=captcha_texts[-1]
        )
        session.commit()
    recovered = emailed_password(emails(portal, "contrasena_recuperada")[0])
    assert generated != recovered
    # The emails go out (and the relay drops the sealed secrets from the rows it sent).
    sent = relay_pending(
        partial(session_scope, portal), FileBackend(tmp_path / "correo"), RelayPolicy()
    )
    assert sent.sent == 3  # confirmation, generated, recovered

    assert any(record.name.startswith("sqlalchemy.engine") for record in caplog.records), (
        "SQL statements were not logged: the search below would prove little"
    )
    texts = [
        EFIRMA_PASSWORD,
        WRONG_EFIRMA_PASSWORD,
        PORTAL_PASSWORD,
        WRONG_PORTAL_PASSWORD,
        generated,
        recovered,
        "PRIVATE KEY-----",  # a PEM of the key, encrypted or not
        str(lab.company_key.private_numbers().d),
        format(lab.company_key.private_numbers().d, "x"),
        *_texts_of(files.key),
        *_texts_of(key_der),
        *_texts_of(_middle(key_der)),
        *_texts_of(_middle(files.key)),
    ]
    raw = [files.key, key_der, _middle(key_der), _middle(files.key)]
    raw += [text.encode() for text in texts[:6]]
    leaks: list[str] = []
    for where, value in _database_values(portal):
        text = _as_text(value)
        leaks += [f"{where} holds {needle[:12]!r}…" for needle in texts if needle in text]
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
            leaks += [f"{where} holds key bytes" for needle in raw if needle in data]
    for where, text, carried in _log_texts(caplog.records):
        leaks += [f"log {where} says {needle[:12]!r}…" for needle in texts if needle in text]
        leaks += [
            f"log {where} carries key bytes" for data in carried for needle in raw if needle in data
        ]
        leaks += [
            f"log {where} shows key bytes"
            for needle in (files.key, key_der)
            if repr(_middle(needle, 24))[2:-1] in text
        ]
    assert leaks == []
