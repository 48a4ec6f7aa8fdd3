"""Generated passwords travel in the email and nowhere else: sealed in the outbox until the
server accepts the message, then gone from the row."""

import json

import pytest
from sqlmodel import select

from core import config
from mailer import queue_email
from mailer.backends import FileBackend
from mailer.relay import relay_once
from mailer.secrets import erase, has_secrets, seal, unseal
from schema import OutboxEmail, OutboxStatus
from tests.mailer.samples import SAMPLES

PASSWORD = SAMPLES["set_de_pruebas"]["sandbox"]["password"]
PATRON_PASSWORD = "patrón-Clave-9"


def _context():
    context = json.loads(json.dumps(SAMPLES["set_de_pruebas"], default=str))
    context["sandbox"]["patron_password"] = PATRON_PASSWORD
    return context


def _queue(factory, key: str) -> None:
    with factory() as session:
        queue_email(
            session, key=key, template="set_de_pruebas", to=["a@example.mx"], context=_context()
        )


def test_seal_unseal_and_erase(settings):
    sealed = seal(_context())
    assert PASSWORD not in json.dumps(sealed, ensure_ascii=False)
    assert PATRON_PASSWORD not in json.dumps(sealed, ensure_ascii=False)
    assert unseal(sealed) == _context() and has_secrets(sealed)
    erased = erase(sealed)
    assert not has_secrets(erased) and erased["sandbox"]["rfc"] == "CAC840428RH1"
    assert unseal(_context()) == _context()  # nothing sealed: nothing to open


def test_a_queued_email_keeps_its_passwords_sealed_and_drops_them_once_sent(
    factory, policy, clock, tmp_path, decoded_text
):
    _queue(factory, "certification:1:test_set:1")
    with factory() as session:
        row = session.exec(select(OutboxEmail)).one()
        stored = json.dumps(row.context, ensure_ascii=False)
    assert PASSWORD not in stored and PATRON_PASSWORD not in stored

    backend = FileBackend(tmp_path / "mail")
    assert relay_once(factory, backend, policy, clock=clock).sent == 1
    [sent] = (tmp_path / "mail").rglob("*.eml")
    text = decoded_text(sent)
    assert PASSWORD in text and PATRON_PASSWORD in text  # the vendor gets them, once
    with factory() as session:
        row = session.exec(select(OutboxEmail)).one()
    assert row.status is OutboxStatus.ENVIADO and not has_secrets(row.context)


def test_a_row_sealed_under_another_secret_key_is_dead_lettered_not_crashed(
    factory, policy, clock, tmp_path, monkeypatch
):
    _queue(factory, "certification:2:test_set:1")
    monkeypatch.setenv("SIA_SECRET_KEY", "otra-clave-secreta-completamente-distinta")
    config.get_settings.cache_clear()
    stats = relay_once(factory, FileBackend(tmp_path / "mail"), policy, clock=clock)
    assert stats.dead == 1
    with factory() as session:
        row = session.exec(select(OutboxEmail)).one()
    assert row.status is OutboxStatus.FALLIDO and "SIA_SECRET_KEY" in (row.last_error or "")


@pytest.fixture
def decoded_text():
    from email import policy as email_policy
    from email.parser import BytesParser

    def read(path):
        message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
        plain = message.get_body(("plain",))
        assert plain is not None
        return plain.get_content()

    return read
