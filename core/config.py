"""Settings for every process (web, worker, beat, command line).

Every field is overridable by an ``SIA_``-prefixed environment variable. With none set, the
defaults describe the *embedded* deployment: everything under ``./var`` of the directory the
process starts in, with no server to install.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIA_", extra="ignore")

    var_dir: Path = Field(
        default_factory=lambda: Path.cwd() / "var",
        description="Root of the embedded state; the other defaults live below it.",
    )
    database_url: str = ""
    broker_url: str = ""
    result_backend: str = ""
    mail_url: str = ""
    storage_dir: Path | None = None
    # Where stored files (evidence, screenshots, acuses, attachments) live: "database" keeps them
    # in PostgreSQL, which every machine already shares; "filesystem" under the storage dir, which
    # every machine must then share. Unset: "database" on PostgreSQL, "filesystem" on SQLite.
    blob_store: Literal["database", "filesystem"] | None = None
    secret_key: SecretStr | None = None
    # The back office's Ed25519 key that signs avisos responses (PKCS#8 PEM). Production points
    # this at a provisioned file; the embedded default generates one under the storage dir.
    avisos_key_file: Path | None = None
    # Directory of the certification authorities' certificates (DER or PEM) that issue
    # e.firmas: SAT's in production. Unset, no e.firma can be validated (`sia efirma verify`
    # then needs --trust).
    efirma_trust_dir: Path | None = None
    timezone: str = "America/Mexico_City"
    mail_from: str = "SIA Certificación <no-responder@sia.infonavit.example>"
    base_url: str = "http://127.0.0.1:8000"
    # Stops the clock at this moment (ISO 8601 with its zone) for demos and rehearsals of what
    # the deadlines do on a given day; unset in production.
    now: AwareDatetime | None = None
    # How often beat runs the deadline scan (reminders, expiries, review SLA alerts).
    deadline_scan_seconds: int = Field(default=300, gt=0)
    # Proxies whose X-Forwarded-For names the real client: comma-separated addresses or networks
    # (CIDR). Sign-in throttling counts per client address, so behind an untrusted proxy every
    # client would share the proxy's count; "*" would let any client name itself anew on every
    # try, so it is refused.
    forwarded_allow_ips: str = "127.0.0.1"
    # Outbox relay. Against a server that takes ~50 ms per message, throughput is about
    # connections / 50 ms, so a handful is not enough; 20 is Postfix's default concurrency per
    # destination. Lower it for providers that allow fewer connections per client.
    mail_connections: int = Field(default=20, gt=0)
    mail_batch_size: int = Field(default=200, gt=0)
    mail_max_attempts: int = Field(default=10, gt=0)
    mail_backoff_seconds: float = Field(default=60, gt=0)
    mail_backoff_max_seconds: float = Field(default=3600, gt=0)
    mail_timeout_seconds: float = Field(default=30, gt=0)
    # A claim older than this belongs to a relay that died; it must exceed a batch's sending time.
    mail_claim_timeout_seconds: float = Field(default=600, gt=0)
    # Redis re-delivers an unacknowledged message after this many seconds; it must exceed the
    # longest task (see task_time_limit) or a slow task would run twice in parallel.
    # Threads per web process for sync routes. Few: password checks run two per CPU at most, and
    # more runnable threads only take the GIL from the event loop that every request needs.
    web_threads: int = Field(default=4, gt=0, le=15)
    # Browser sessions (staff and companies alike) end after this long without a request, and
    # this long after sign-in at most.
    staff_idle_minutes: int = Field(default=30, gt=0)
    staff_session_hours: int = Field(default=8, gt=0)
    # Shown as a link on the administrator's page when set (Flower watches the Celery workers).
    flower_url: str = ""
    broker_visibility_timeout: int = 3 * 3600
    # The production avisos service: pages a vendor may ask per minute, across every web process
    # that shares ``rate_limit_url`` (Redis; the broker's when it is Redis). Without one, each
    # process counts on its own (the embedded default runs one).
    avisos_pages_per_minute: int = Field(default=600, gt=0)
    rate_limit_url: str = ""
    task_time_limit: int = 15 * 60

    @model_validator(mode="after")
    def _embedded_defaults(self) -> Settings:
        self.var_dir = self.var_dir.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'sia.sqlite3'}"
        if not self.broker_url:
            self.broker_url = "filesystem://"
        if not self.result_backend:
            self.result_backend = f"db+sqlite:///{self.var_dir / 'celery-results.sqlite3'}"
        if not self.mail_url:
            self.mail_url = f"file://{self.var_dir / 'mail'}"
        if self.storage_dir is None:
            self.storage_dir = self.var_dir / "storage"
        # The URL's dialect, before any "+driver" (postgresql+psycopg://…).
        on_postgresql = self.database_url.partition(":")[0].partition("+")[0] == "postgresql"
        if self.blob_store is None:
            self.blob_store = "database" if on_postgresql else "filesystem"
        elif self.blob_store == "database" and not on_postgresql:
            # SQLite has one writer at a time: a blob written on its own connection while the
            # caller's transaction holds the write lock would wait for it forever.
            raise ValueError(
                "SIA_BLOB_STORE=database requiere PostgreSQL; con SQLite los archivos se guardan "
                "en el directorio de almacenamiento (SIA_BLOB_STORE=filesystem)."
            )
        proxies = [p.strip() for p in self.forwarded_allow_ips.split(",") if p.strip()]
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"SIA_FORWARDED_ALLOW_IPS: «{proxy}» no es una dirección IP ni una red "
                    "(CIDR); nombre los proxies de confianza, nunca «*»."
                ) from None
        try:
            ZoneInfo(self.timezone)  # fail at start-up, not on the first deadline
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"zona horaria desconocida: {self.timezone!r}") from None
        return self

    @property
    def is_embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    @property
    def broker_dir(self) -> Path:
        return self.var_dir / "broker"

    @property
    def storage(self) -> Path:
        assert self.storage_dir is not None
        return self.storage_dir

    @property
    def portal_url(self) -> str:
        """Where companies (vendors, patrones) enter the portal."""
        return f"{self.base_url.rstrip('/')}/portal"

    @property
    def panel_url(self) -> str:
        """Where INFONAVIT staff work."""
        return f"{self.base_url.rstrip('/')}/panel"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def secret(self) -> str:
        """The signing secret for cookies and tokens.

        Production sets ``SIA_SECRET_KEY``; the embedded default keeps a random one in
        ``var/secret-key`` so sessions survive a restart.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.var_dir / "secret-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and linked into place: of several processes starting at once
            # (`sia web --workers 2`), the first link wins and every process reads that one.
            draft = path.with_name(f".secret-key.{os.getpid()}")
            draft.write_text(secrets.token_urlsafe(48))
            draft.chmod(0o600)
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
            draft.unlink()
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
