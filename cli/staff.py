"""`sia create-staff`."""

from __future__ import annotations

import click

from cli import params
from cli.database import prepare_database
from cli.params import EntradaInvalida, SpanishCommand

MIN_PASSWORD_LENGTH = 12
# The values of schema.StaffRole, written out so that `sia --help` needs no database models
# (tests/cli keeps the two equal).
ROLES = ("revisor", "supervisor", "administrador")
PROMPT_ATTEMPTS = 3


def _too_short(password: str) -> bool:
    return len(password) < MIN_PASSWORD_LENGTH


def _prompted_password() -> str:
    """Asked twice without echo; a short or mismatched one is asked again, a few times."""
    try:
        for _attempt in range(PROMPT_ATTEMPTS):
            password: str = click.prompt("Contraseña", hide_input=True)
            if _too_short(password):
                click.echo(
                    f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres.",
                    err=True,
                )
                continue
            if click.prompt("Repita la contraseña", hide_input=True) == password:
                return password
            click.echo("Las contraseñas no coinciden.", err=True)
    except click.Abort:
        raise click.ClickException("Cancelado; no se creó el usuario.") from None
    raise click.ClickException(
        f"No se creó el usuario: no se obtuvo una contraseña válida en {PROMPT_ATTEMPTS} intentos."
    )


def _password(ctx: click.Context, given: str | None) -> str:
    """--password if given; else asked on the terminal, or one line of a piped standard input."""
    if given is not None:
        source = "--password"
        password = given
    elif params.stdin_is_terminal():
        return _prompted_password()
    else:
        source = "la entrada estándar"
        password = params.stdin_line()
        if not password:
            raise EntradaInvalida(
                "falta la contraseña: use --password, escríbala en la primera línea de la "
                "entrada estándar o ejecute el comando en una terminal para que se la pida.",
                ctx,
            )
    if _too_short(password):
        raise EntradaInvalida(
            f"la contraseña ({source}) debe tener al menos {MIN_PASSWORD_LENGTH} caracteres.",
            ctx,
        )
    return password


@click.command("create-staff", cls=SpanishCommand)
@click.option(
    "--email", required=True, metavar="CORREO", help="Correo con el que el usuario ingresa."
)
@click.option("--nombre", "full_name", required=True, metavar="NOMBRE", help="Nombre completo.")
@click.option(
    "--rol",
    "role",
    type=click.Choice(ROLES),
    default="revisor",
    show_default=True,
    help="Rol del usuario.",
)
@click.option(
    "--password",
    metavar="CONTRASEÑA",
    help=(
        f"Contraseña de al menos {MIN_PASSWORD_LENGTH} caracteres. Si se omite, se pide dos "
        "veces sin mostrarla; si la entrada estándar no es una terminal, se lee de su primera "
        "línea."
    ),
)
@click.pass_context
def create_staff(
    ctx: click.Context, email: str, full_name: str, role: str, password: str | None
) -> None:
    """Crea un usuario del personal que ingresa al panel de revisión."""
    from core.db import session_scope
    from schema import StaffRole
    from workflow.refusals import Refused
    from workflow.staff_accounts import choose_password, create_account

    password = _password(ctx, password)
    prepare_database()
    try:
        with session_scope() as session:
            user = create_account(
                session,
                email=email,
                full_name=full_name,
                role=StaffRole(role),
                password=choose_password(password),
                actor="cli",
            )
    except Refused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Usuario {user.email} creado con el rol {user.role.value}.")


@click.command("staff-token", cls=SpanishCommand)
@click.option(
    "--email", required=True, metavar="CORREO", help="Correo del usuario a cuyo nombre se actúa."
)
@click.option(
    "--nombre",
    "name",
    required=True,
    metavar="NOMBRE",
    help="Para qué sistema es el token (se muestra en la bitácora).",
)
def staff_token(email: str, name: str) -> None:
    """Emite un token de la API de revisión para un sistema del INFONAVIT.

    El token actúa con el rol del usuario, vence en un año y se muestra solo esta vez: guárdelo
    en el gestor de secretos del sistema que lo usará (encabezado «Authorization: Bearer …»).
    """
    from sqlmodel import select

    from core.db import session_scope
    from schema import StaffUser
    from workflow.staff_sessions import issue_token

    prepare_database()
    with session_scope() as session:
        user = session.exec(
            select(StaffUser).where(StaffUser.email == email.strip().lower())
        ).first()
        if user is None or not user.is_active:
            raise click.ClickException(f"No hay un usuario activo con el correo {email}.")
        issued = issue_token(session, user, name.strip()[:100], actor="cli")
    click.echo(issued.token)
