"""`sia run`: the whole system on one machine (migrations, web, a worker and beat)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import click

from cli.database import prepare_database
from cli.params import SpanishCommand

STOP_GRACE_SECONDS = 20


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Own session: a Ctrl-C reaches only this supervisor, which then stops the children in
    # order instead of every process reacting to the terminal's signal on its own.
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args], env=env, start_new_session=True
    )


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _sign_in_hint(base_url: str) -> str:
    from sqlmodel import func, select

    from core.db import session_scope
    from schema import StaffUser

    with session_scope() as session:
        staff = session.exec(select(func.count()).select_from(StaffUser)).one()
    if staff:
        return f"Personal: ingrese en {base_url}/ingresar con su correo y contraseña."
    # As invoked (".venv/bin/sia" after `make run`), so the hint can be pasted as it is.
    program = sys.argv[0] if Path(sys.argv[0]).name == "sia" else "sia"
    return (
        "Aún no hay usuarios del personal; cree uno con:\n"
        f'  {program} create-staff --email su.correo@infonavit.org.mx --nombre "Su Nombre" '
        "--rol administrador"
    )


@click.command(cls=SpanishCommand)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="DIRECCIÓN",
    help="Dirección en la que escucha el servidor web (0.0.0.0: todas).",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    metavar="PUERTO",
    type=int,
    help="Puerto del servidor web; los enlaces de los correos apuntan a él (salvo con "
    "SIA_BASE_URL).",
)
@click.option(
    "--concurrency",
    "-c",
    default=2,
    show_default=True,
    type=int,
    help="Procesos del worker.",
)
def run(host: str, port: int, concurrency: int) -> None:
    """Ejecuta todo el sistema en esta máquina hasta Ctrl-C o SIGTERM.

    Aplica las migraciones y arranca el servidor web, un worker de Celery y el programador.
    """
    from core.config import get_settings

    settings = get_settings()
    prepare_database(server="migrate")
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    if ":" in shown_host:  # an IPv6 address goes in brackets in a URL
        shown_host = f"[{shown_host}]"
    base_url = f"http://{shown_host}:{port}"
    env = {**os.environ, "SIA_VAR_DIR": str(settings.var_dir)}
    # Links in emails point at this server unless a public URL is configured.
    env.setdefault("SIA_BASE_URL", base_url)
    children = {
        "web": _spawn(["web", "--host", host, "--port", str(port)], env),
        "worker": _spawn(["worker", "--concurrency", str(concurrency)], env),
        "beat": _spawn(["beat"], env),
    }
    stopping = False

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    click.echo(f"SIA Certificación en {base_url}  (estado: {base_url}/healthz)")
    click.echo(f"Portal de empresas: {base_url}/portal (registro: {base_url}/portal/registro)")
    mail = settings.mail_url
    if mail.startswith("file://"):
        mail = f"correos como archivos .eml en {mail.removeprefix('file://')}"
    else:
        mail = "correos por el servidor de SIA_MAIL_URL"
    click.echo(f"Datos en {settings.var_dir}; {mail}")
    if settings.efirma_trust_dir is None:
        click.echo(
            "Aviso: sin SIA_EFIRMA_TRUST_DIR (certificados de las autoridades del SAT) el portal "
            "no puede validar e.firmas: ni registros ni generación de contraseñas."
        )
    click.echo(_sign_in_hint(base_url))
    click.echo("Ctrl-C para detener.")

    failed: str | None = None
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                failed, stopping = name, True
                break
        time.sleep(0.3)
    click.echo("Deteniendo…")
    _stop(children)
    if failed:
        click.echo(f"El proceso «{failed}» terminó inesperadamente.", err=True)
        raise SystemExit(1)
