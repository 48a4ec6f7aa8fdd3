"""STARTTLS and SMTPS against a real aiosmtpd server with its own certificate authority.

The client trusts what the system store trusts; ``SSL_CERT_FILE`` (honoured by OpenSSL) points
it at this test's CA, as an operator would for a relay with a private CA.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mailer.backends import Delivered, Failed, backend_from_url
from tests.mailer.smtp import Sink, free_port
from tests.mailer.test_backends import _deliver, _envelopes

USER, PASSWORD = "sia@infonavit.example", "páss/w:rd"
CREDENTIALS = "sia%40infonavit.example:p%C3%A1ss%2Fw%3Ard"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """A CA file for the client and a TLS context for the server, signed by that CA."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = _certificate("SIA pruebas CA", ca_key, "SIA pruebas CA", ca_key, ca=True)
    server = _certificate("127.0.0.1", server_key, "SIA pruebas CA", ca_key, ca=False)
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return ca_file, context


class AuthSink(Sink):
    """Accepts only USER/PASSWORD, and records each login and whether it came over TLS."""

    def __init__(self) -> None:
        super().__init__()
        self.logins: list[tuple[str, bool]] = []

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, server.transport.get_extra_info("ssl_object") is not None))
        # handled=False: aiosmtpd sends the 235 or 535 reply itself.
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


@contextmanager
def tls_server(sink: AuthSink, port: int, **tls: Any) -> Iterator[None]:
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        server_hostname="sink.test",
        authenticator=sink.authenticate,
        # aiosmtpd counts only STARTTLS as TLS when deciding to offer AUTH; an SMTPS server is
        # TLS from the first byte, which the logins' record shows.
        auth_require_tls="ssl_context" not in tls,
        **tls,
    )
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@pytest.fixture
def trusted(pki: tuple[Path, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki[0]))
    return pki[1]


def test_starttls_upgrades_then_authenticates(trusted: ssl.SSLContext) -> None:
    sink, port = AuthSink(), free_port()
    with tls_server(sink, port, tls_context=trusted, require_starttls=True):
        backend = backend_from_url(f"smtp+starttls://{CREDENTIALS}@127.0.0.1:{port}")
        outcomes = _deliver(backend, _envelopes(3))
    assert sorted(o.ref for o in outcomes if isinstance(o, Delivered)) == [0, 1, 2]
    assert len(sink.received) == 3
    assert sink.logins and all(login == (USER, True) for login in sink.logins)


def test_smtps_is_tls_from_the_first_byte(trusted: ssl.SSLContext) -> None:
    sink, port = AuthSink(), free_port()
    with tls_server(sink, port, ssl_context=trusted):
        backend = backend_from_url(f"smtps://{CREDENTIALS}@localhost:{port}")
        outcomes = _deliver(backend, _envelopes(2))
    assert all(isinstance(o, Delivered) for o in outcomes) and len(outcomes) == 2
    assert [m.message["Subject"] for m in sink.received] == ["Prueba Ñ"] * 2
    assert sink.logins and all(login == (USER, True) for login in sink.logins)


def test_a_certificate_nobody_vouches_for_is_refused_and_retried(
    pki: tuple[Path, ssl.SSLContext],
) -> None:
    sink, port = AuthSink(), free_port()
    with tls_server(sink, port, ssl_context=pki[1]):
        backend = backend_from_url(f"smtps://{CREDENTIALS}@127.0.0.1:{port}")
        [outcome] = _deliver(backend, _envelopes(1))
    assert isinstance(outcome, Failed) and not outcome.permanent
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.error or "certificate" in outcome.error.lower()
    assert sink.received == [] and sink.logins == []


def test_no_starttls_offered_means_no_credentials_sent(trusted: ssl.SSLContext) -> None:
    sink, port = AuthSink(), free_port()
    with tls_server(sink, port):  # plain SMTP: no STARTTLS to upgrade with
        backend = backend_from_url(f"smtp+starttls://{CREDENTIALS}@127.0.0.1:{port}")
        [outcome] = _deliver(backend, _envelopes(1))
    assert isinstance(outcome, Failed) and not outcome.permanent
    assert sink.received == [] and sink.logins == []


def test_wrong_password_is_not_delivered(trusted: ssl.SSLContext) -> None:
    sink, port = AuthSink(), free_port()
    with tls_server(sink, port, tls_context=trusted, require_starttls=True):
        backend = backend_from_url(
            f"smtp+starttls://{USER.replace('@', '%40')}:otra@127.0.0.1:{port}"
        )
        [outcome] = _deliver(backend, _envelopes(1))
    assert isinstance(outcome, Failed) and "535" in outcome.error
    assert sink.received == [] and sink.logins and set(sink.logins) == {(USER, True)}
