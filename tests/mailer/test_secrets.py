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
from tests.mailer.samples import SAMPLES, SIA_PASSWORD

PATRON_PASSWORD = "patrón-Clave-9"
SEALED = "sellado:"


def _context(template: str):
    """The sample in its stored JSON form, with the test set's patrón password added."""
    context = json.loads(json.dumps(SAMPLES[template], default=str))
    if template == "set_de_pruebas":
        context["sandbox"]["patron_password"] = PATRON_PASSWORD
    return context


# Every email that carries a secret: the secret and where it sits in the context.
CARRIERS = {
    "set_de_pruebas": (PATRON_PASSWORD, ("sandbox", "patron_password")),
    "contrasena_generada": (SIA_PASSWORD, ("sia", "password")),
    "contrasena_recuperada": (SIA_PASSWORD, ("sia", "password")),
}


def _queue(factory, key: str, template: str = "set_de_pruebas") -> None:
    with factory() as session:
        queue_email(
            session, key=key, template=template, to=["a@example.mx"], context=_context(template)
        )


@pytest.mark.parametrize("template", CARRIERS)
def test_seal_unseal_and_erase(settings, template):
    secret, (parent, name) = CARRIERS[template]
    sealed = seal(_context(template))
    assert secret not in json.dumps(sealed, ensure_ascii=False)
    assert sealed[parent][name].startswith(SEALED) and has_secrets(sealed)
    assert unseal(sealed) == _context(template)
    # Only the secret goes: the row still shows what was sent.
    expected = _context(template)
    del expected[parent][name]
    assert erase(sealed) == expected and not has_secrets(expected)
    assert unseal(_context(template)) == _context(template)  # nothing sealed: nothing to open


@pytest.mark.parametrize("template", CARRIERS)
def test_a_queued_email_keeps_its_passwords_sealed_and_drops_them_once_sent(
    factory, policy, clock, tmp_path, decoded_text, template
):
    secret, _ = CARRIERS[template]
    _queue(factory, f"prueba:{template}", template)
    with factory() as session:
        row = session.exec(select(OutboxEmail)).one()
        stored = json.dumps(row.context, ensure_ascii=False)
    assert secret not in stored and SEALED in stored

    backend = FileBackend(tmp_path / "mail")
    assert relay_once(factory, backend, policy, clock=clock).sent == 1
    [sent] = (tmp_path / "mail").rglob("*.eml")
    assert secret in decoded_text(sent)  # the recipient gets it, once
    with factory() as session:
        row = session.exec(select(OutboxEmail)).one()
    stored = json.dumps(row.context, ensure_ascii=False)
    assert row.status is OutboxStatus.ENVIADO and not has_secrets(row.context)
    assert secret not in stored and SEALED not in stored  # not even sealed
    assert row.context["razon_social"] == SAMPLES[template]["razon_social"]


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
