"""Companies' accounts in the portal (patrones and desarrolladores), their browser sessions, the
e.firma signatures that wait for the user's confirmation, and captcha challenges."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import JSONType, UTCDateTime, enum_column
from schema.staff import BrowserSession


class CompanyAccount(SQLModel, table=True):
    """The portal's sign-in for one organization: its email and a portal password (not the SIA
    password, which the organization row keeps). Registered with the company's e.firma; it
    signs in only once the email is confirmed."""

    __tablename__ = "company_accounts"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", unique=True)
    email: str = Field(max_length=320)
    password_hash: str = Field(max_length=200)
    # The e.firma that proved the registration (its number; the key is never kept).
    certificate_number: str = Field(max_length=20)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    email_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CompanySession(BrowserSession, table=True):
    __tablename__ = "company_sessions"

    account_id: int = Field(foreign_key="company_accounts.id", index=True)
    # «Seguimiento a Certificación» asks for the e.firma once per session: when it was shown
    # and whose it was (never the key).
    efirma_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    efirma_certificate_number: str | None = Field(default=None, max_length=20)
    # «Relaciones de confianza» shows its terms once per session, then the table.
    relationship_terms_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignaturePurpose(StrEnum):
    GENERAR_CONTRASENA = "generar_contrasena"
    SOLICITAR_CERTIFICACION = "solicitar_certificacion"
    FIRMAR_APROBACION = "firmar_aprobacion"
    CANCELAR_CERTIFICACION = "cancelar_certificacion"
    ADICIONAR_RELACION = "adicionar_relacion"
    CANCELAR_RELACION = "cancelar_relacion"


class PendingSignature(SQLModel, table=True):
    """A cadena original the user signed with the e.firma, shown back for a last «Continuar».

    The private key signed it inside the request that received it and was dropped there; what
    waits here (the cadena, the sello and the public certificate) is not secret. Used once.
    """

    __tablename__ = "pending_signatures"

    id: int | None = Field(default=None, primary_key=True)
    # sha256 of the token the confirmation form carries.
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="company_accounts.id", index=True)
    purpose: SignaturePurpose = Field(sa_column=enum_column(SignaturePurpose, nullable=False))
    # The certification an approval or a cancellation is about.
    certification_id: int | None = Field(default=None, foreign_key="certifications.id")
    # What a relationship step is about, as chosen before signing (workflow.relationships).
    subject: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    # Issued before signing: the folio is part of what is signed.
    folio: str = Field(max_length=10)
    cadena: str = Field(sa_type=sa.Text)
    sello: str = Field(sa_type=sa.Text)
    certificate_der: bytes = Field(sa_type=sa.LargeBinary)
    certificate_number: str = Field(max_length=20)
    signed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CaptchaChallenge(SQLModel, table=True):
    """One captcha shown to a browser: only a keyed digest of its answer is kept, and it can be
    answered once."""

    __tablename__ = "captcha_challenges"

    id: str = Field(primary_key=True, max_length=64)  # sha256 hex of the form's token
    answer_digest: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
