"""Staff accounts as the administrator manages them (workflow.staff_accounts)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from core.security import verify_password
from schema import AuditEvent, StaffRole, StaffSession, StaffUser
from tests.review.supervising import staff_member
from workflow.refusals import StaffAccountReason, StaffAccountRefused
from workflow.staff_accounts import (
    MIN_PASSWORD_LENGTH,
    change_role,
    choose_password,
    create_account,
    parse_role,
    reset_password,
    set_active,
)
from workflow.staff_sessions import open_session

R = StaffRole
GOOD_PASSWORD = "una-contraseña-suficiente"


@pytest.fixture
def admin(settings, engine) -> StaffUser:
    return staff_member(engine, "admin@infonavit.example", R.ADMINISTRADOR, "Adela Admin")


def actions(engine, entity_id: int) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [
            (e.action, e.actor)
            for e in session.exec(
                select(AuditEvent)
                .where(AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == entity_id)
                .order_by(col(AuditEvent.id))
            )
        ]


def live_sessions(engine, user: StaffUser) -> int:
    with Session(engine) as session:
        rows = session.exec(
            select(StaffSession).where(
                StaffSession.staff_id == user.id, col(StaffSession.revoked_at).is_(None)
            )
        ).all()
        return len(rows)


def signed_in(engine, user: StaffUser) -> None:
    with Session(engine) as session:
        open_session(session, user, address="198.51.100.7", user_agent="prueba")
        session.commit()


def test_an_account_is_created_normalized_hashed_and_audited(engine, admin):
    with Session(engine, expire_on_commit=False) as session:
        user = create_account(
            session,
            email="  Nueva.Revisora@Infonavit.Example ",
            full_name="  Rosa   María  López ",
            role=R.REVISOR,
            password=choose_password(GOOD_PASSWORD),
            actor=f"staff:{admin.id}",
        )
        session.commit()
    assert user.email == "nueva.revisora@infonavit.example"
    assert user.full_name == "Rosa María López" and user.is_active
    assert verify_password(GOOD_PASSWORD, user.password_hash)
    assert user.id is not None
    assert actions(engine, user.id) == [("staff.created", f"staff:{admin.id}")]


def test_a_generated_password_is_long_and_random():
    first, second = choose_password(""), choose_password("")
    assert first.generated and len(first.value) >= 20 and first.value != second.value
    assert choose_password(GOOD_PASSWORD).generated is False


@pytest.mark.parametrize(
    ("fields", "reason", "message"),
    [
        ({"email": "ANA@infonavit.example"}, "duplicate_email", "Ya existe una cuenta"),
        ({"email": "no es un correo"}, "invalid_email", "no es válido"),
        ({"email": "josé@infonavit.example"}, "invalid_email", "sin acentos"),
        ({"full_name": "   "}, "invalid_name", "nombre completo"),
        ({"full_name": "x" * 201}, "invalid_name", "hasta 200"),
    ],
)
def test_bad_accounts_are_refused_in_spanish(engine, admin, fields, reason, message):
    staff_member(engine, "ana@infonavit.example", R.REVISOR)
    values = {"email": "otra@infonavit.example", "full_name": "Otra Persona", **fields}
    with Session(engine) as session, pytest.raises(StaffAccountRefused) as refused:
        create_account(
            session,
            role=R.REVISOR,
            password=choose_password(GOOD_PASSWORD),
            actor=f"staff:{admin.id}",
            **values,
        )
    assert refused.value.reason == StaffAccountReason(reason) and message in str(refused.value)
    with Session(engine) as session:
        assert len(session.exec(select(StaffUser)).all()) == 2


def test_short_passwords_and_unknown_roles_are_refused():
    with pytest.raises(StaffAccountRefused) as short:
        choose_password("x" * (MIN_PASSWORD_LENGTH - 1))
    assert short.value.reason is StaffAccountReason.WEAK_CREDENTIAL
    assert f"entre {MIN_PASSWORD_LENGTH}" in str(short.value)
    assert parse_role(" supervisor ") is R.SUPERVISOR
    with pytest.raises(StaffAccountRefused) as role:
        parse_role("jefe")
    assert role.value.reason is StaffAccountReason.INVALID_ROLE


def test_role_change_deactivation_and_reset_end_the_persons_sessions(engine, admin):
    ana = staff_member(engine, "ana@infonavit.example", R.REVISOR)
    assert ana.id is not None

    signed_in(engine, ana)
    with Session(engine, expire_on_commit=False) as session:
        user, changed = change_role(session, ana.id, R.SUPERVISOR, actor=admin)
        session.commit()
    assert changed and user.role is R.SUPERVISOR and live_sessions(engine, ana) == 0
    with Session(engine) as session:
        assert change_role(session, ana.id, R.SUPERVISOR, actor=admin)[1] is False

    signed_in(engine, ana)
    with Session(engine) as session:
        reset_password(session, ana.id, choose_password(GOOD_PASSWORD), actor=admin)
        session.commit()
    assert live_sessions(engine, ana) == 0
    with Session(engine) as session:
        account = session.get(StaffUser, ana.id)
        assert account is not None and verify_password(GOOD_PASSWORD, account.password_hash)

    signed_in(engine, ana)
    with Session(engine) as session:
        assert set_active(session, ana.id, False, actor=admin)[1] is True
        session.commit()
    assert live_sessions(engine, ana) == 0
    with Session(engine) as session:
        assert set_active(session, ana.id, False, actor=admin)[1] is False
        assert set_active(session, ana.id, True, actor=admin)[1] is True
        session.commit()

    by = f"staff:{admin.id}"
    assert actions(engine, ana.id) == [
        ("staff.role_changed", by),
        ("staff.signed_out_everywhere", by),
        ("staff.password_reset", by),
        ("staff.signed_out_everywhere", by),
        ("staff.deactivated", by),
        ("staff.signed_out_everywhere", by),
        ("staff.reactivated", by),
    ]


def test_an_administrator_cannot_deactivate_or_demote_themselves(engine, admin):
    assert admin.id is not None
    signed_in(engine, admin)
    with Session(engine) as session:
        with pytest.raises(StaffAccountRefused) as deactivation:
            set_active(session, admin.id, False, actor=admin)
        with pytest.raises(StaffAccountRefused) as demotion:
            change_role(session, admin.id, R.REVISOR, actor=admin)
    for refused in (deactivation, demotion):
        assert refused.value.reason is StaffAccountReason.OWN_ACCOUNT
        assert "su propia cuenta" in str(refused.value)
    with Session(engine) as session:
        account = session.get(StaffUser, admin.id)
        assert account is not None and account.is_active and account.role is R.ADMINISTRADOR
    assert live_sessions(engine, admin) == 1 and actions(engine, admin.id) == []


def test_an_unknown_account_is_refused(engine, admin):
    with Session(engine) as session, pytest.raises(StaffAccountRefused) as refused:
        set_active(session, 999_999, False, actor=admin)
    assert refused.value.reason is StaffAccountReason.NO_SUCH_ACCOUNT
