"""`sia create-staff`."""

from __future__ import annotations

import click
from sqlalchemy.exc import IntegrityError

from core.db import session_scope
from core.security import hash_password
from schema import StaffRole, StaffUser
from workflow.audit import record_event


@click.command("create-staff")
@click.option("--email", required=True, help="Sign-in email.")
@click.option("--nombre", "full_name", required=True, help="Full name.")
@click.option(
    "--rol",
    "role",
    type=click.Choice([r.value for r in StaffRole]),
    default=StaffRole.REVISOR.value,
    show_default=True,
)
@click.password_option("--password", help="Prompted for (twice) when not given.")
def create_staff(email: str, full_name: str, role: str, password: str) -> None:
    """Create a staff user who signs in to the reviewer dashboard."""
    if len(password) < 12:
        raise click.BadParameter(
            "la contraseña debe tener al menos 12 caracteres", param_hint="--password"
        )
    user = StaffUser(
        email=email.strip().lower(),
        full_name=full_name.strip(),
        role=StaffRole(role),
        password_hash=hash_password(password),
    )
    try:
        with session_scope() as session:
            session.add(user)
            session.flush()
            assert user.id is not None
            record_event(
                session,
                actor="cli",
                action="staff.created",
                entity_type="staff_user",
                entity_id=user.id,
                data={"email": user.email, "role": user.role.value},
            )
    except IntegrityError:
        raise click.ClickException(f"Ya existe un usuario con el correo {user.email}.") from None
    click.echo(f"Usuario {user.email} creado con el rol {user.role.value}.")
