"""The administrator's staff accounts: create one, change its role, deactivate or reactivate it,
reset its password. Each change is audited; whatever changes what a person may do (a role, a
deactivation, a new password) ends every session they have open, so it applies at once.

An administrator cannot deactivate or demote their own account, so that there is always one
left who can undo a mistake.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.security import hash_password
from mailer.addresses import parse_mailbox
from schema import StaffRole, StaffUser
from workflow.audit import record_event
from workflow.refusals import StaffAccountReason, StaffAccountRefused
from workflow.staff_sessions import end_all_sessions

MIN_PASSWORD_LENGTH = 12
GENERATED_PASSWORD_BYTES = 15  # 20 URL-safe characters
_MAX_NAME = 200  # StaffUser.full_name
_MAX_PASSWORD = 1024  # what the sign-in form accepts


def staff_accounts(session: Session) -> list[StaffUser]:
    """Every account, active ones first, then by name."""
    return list(
        session.exec(
            select(StaffUser).order_by(
                col(StaffUser.is_active).desc(), col(StaffUser.full_name), col(StaffUser.id)
            )
        ).all()
    )


def parse_role(value: str) -> StaffRole:
    try:
        return StaffRole(value.strip())
    except ValueError:
        raise StaffAccountRefused(
            StaffAccountReason.INVALID_ROLE,
            "Elija un rol de la lista: revisor, supervisor o administrador.",
        ) from None


@dataclass(frozen=True)
class Password:
    value: str
    generated: bool  # then it is shown once to the administrator, who hands it over


def choose_password(given: str) -> Password:
    """The password typed by the administrator, or a random one when the field was left empty."""
    if not given:
        return Password(secrets.token_urlsafe(GENERATED_PASSWORD_BYTES), generated=True)
    if len(given) < MIN_PASSWORD_LENGTH or len(given) > _MAX_PASSWORD:
        raise StaffAccountRefused(
            StaffAccountReason.WEAK_CREDENTIAL,
            f"La contraseña debe tener entre {MIN_PASSWORD_LENGTH} y {_MAX_PASSWORD} caracteres; "
            "deje el campo vacío para que el sistema genere una.",
        )
    return Password(given, generated=False)


def _email(value: str) -> str:
    address = value.strip().lower()
    try:
        return parse_mailbox(address).addr_spec
    except ValueError:
        raise StaffAccountRefused(
            StaffAccountReason.INVALID_EMAIL,
            f"El correo «{address}» no es válido (una sola dirección, sin acentos ni ñ).",
        ) from None


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > _MAX_NAME:
        raise StaffAccountRefused(
            StaffAccountReason.INVALID_NAME,
            f"Escriba el nombre completo (hasta {_MAX_NAME} caracteres).",
        )
    return name


def _duplicate(address: str) -> StaffAccountRefused:
    return StaffAccountRefused(
        StaffAccountReason.DUPLICATE_EMAIL, f"Ya existe una cuenta con el correo {address}."
    )


def create_account(
    session: Session,
    *,
    email: str,
    full_name: str,
    role: StaffRole,
    password: Password,
    actor: str,
) -> StaffUser:
    """``actor`` as the audit log names it: ``staff:N`` from the dashboard, ``cli``."""
    address, name = _email(email), _name(full_name)
    if session.exec(select(StaffUser.id).where(StaffUser.email == address)).first() is not None:
        raise _duplicate(address)
    user = StaffUser(
        email=address, full_name=name, role=role, password_hash=hash_password(password.value)
    )
    try:
        # Another administrator may create the same address meanwhile: the unique email
        # decides, and the savepoint keeps the caller's transaction usable.
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise _duplicate(address) from None
    assert user.id is not None
    record_event(
        session,
        actor=actor,
        action="staff.created",
        entity_type="staff_user",
        entity_id=user.id,
        data={"email": address, "role": role.value, "password_generated": password.generated},
    )
    return user


def _account(session: Session, account_id: int) -> StaffUser:
    user = session.get(StaffUser, account_id, with_for_update=True)
    if user is None:
        raise StaffAccountRefused(
            StaffAccountReason.NO_SUCH_ACCOUNT, "La cuenta no existe; recargue la página."
        )
    return user


def _not_own(user: StaffUser, actor: StaffUser, what: str) -> None:
    if user.id == actor.id:
        raise StaffAccountRefused(
            StaffAccountReason.OWN_ACCOUNT,
            f"No puede {what} su propia cuenta; pídaselo a otra persona administradora.",
        )


def change_role(
    session: Session, account_id: int, role: StaffRole, *, actor: StaffUser
) -> tuple[StaffUser, bool]:
    """A new role; the person signs in again to work under it. The same role changes nothing
    (the second value says whether anything changed)."""
    user = _account(session, account_id)
    if user.role is role:
        return user, False
    _not_own(user, actor, "cambiar el rol de")
    before = user.role
    user.role = role
    session.add(user)
    record_event(
        session,
        actor=f"staff:{actor.id}",
        action="staff.role_changed",
        entity_type="staff_user",
        entity_id=account_id,
        from_state=before.value,
        to_state=role.value,
    )
    end_all_sessions(session, user, actor=f"staff:{actor.id}")
    return user, True


def set_active(
    session: Session, account_id: int, active: bool, *, actor: StaffUser
) -> tuple[StaffUser, bool]:
    """Deactivate (sessions end, sign-in refused) or reactivate an account; idempotent (the
    second value says whether anything changed)."""
    user = _account(session, account_id)
    if user.is_active is active:
        return user, False
    if not active:
        _not_own(user, actor, "desactivar")
    user.is_active = active
    session.add(user)
    record_event(
        session,
        actor=f"staff:{actor.id}",
        action="staff.reactivated" if active else "staff.deactivated",
        entity_type="staff_user",
        entity_id=account_id,
    )
    if not active:
        end_all_sessions(session, user, actor=f"staff:{actor.id}")
    return user, True


def reset_password(
    session: Session, account_id: int, password: Password, *, actor: StaffUser
) -> StaffUser:
    """A new password for the account; whoever held the old one is signed out everywhere."""
    user = _account(session, account_id)
    user.password_hash = hash_password(password.value)
    session.add(user)
    record_event(
        session,
        actor=f"staff:{actor.id}",
        action="staff.password_reset",
        entity_type="staff_user",
        entity_id=account_id,
        data={"password_generated": password.generated},
    )
    end_all_sessions(session, user, actor=f"staff:{actor.id}")
    return user
