"""Long-running processes: `sia web`, `sia worker`, `sia beat`, `sia flower`, and `sia ping`."""

from __future__ import annotations

import os
import socket
from typing import Any

import click

from cli.database import prepare_database
from cli.params import SpanishCommand

# workers.queues.ALL, written out so that `sia --help` does not load kombu (tests/cli keeps the
# two equal).
QUEUES = ("default", "mail", "evidence")
APP = "review.app:create_app"


@click.command(cls=SpanishCommand)
@click.option("--host", default="127.0.0.1", show_default=True, help="Dirección en la que escucha.")
@click.option("--port", default=8000, show_default=True, type=int, help="Puerto en el que escucha.")
@click.option(
    "--workers", "processes", default=1, show_default=True, help="Procesos del servidor web."
)
def web(host: str, port: int, processes: int) -> None:
    """Sirve el panel de revisión, el portal de desarrolladores y la API JSON."""
    import uvicorn

    from core.config import get_settings

    prepare_database(server="trust")
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": processes,
        "proxy_headers": True,
        "forwarded_allow_ips": get_settings().forwarded_allow_ips,
        "log_level": "info",
    }
    if processes == 1:
        uvicorn.run(APP, **options)
        return
    from uvicorn.supervisors import Multiprocess

    # uvicorn binds the socket its workers share without naming TCP as its protocol, so asyncio
    # leaves Nagle's algorithm on for every connection: ~40 ms more on each response
    # (Kludex/uvicorn#3149). The same supervisor, with a socket bound as asyncio would.
    click.echo(f"Sirviendo en http://{host}:{port} con {processes} procesos.", err=True)
    Multiprocess(uvicorn.Config(APP, **options), sockets=[tcp_socket(host, port)]).run()


def tcp_socket(host: str, port: int) -> socket.socket:
    """A listening socket for the web workers, inheritable, with TCP named as its protocol."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(
            f"No se pudo escuchar en {host}:{port}: {exc.strerror}."
        ) from None
    sock.set_inheritable(True)
    return sock


@click.command(cls=SpanishCommand)
@click.option(
    "--queues",
    "-Q",
    "queue_names",
    default=",".join(QUEUES),
    show_default=True,
    help="Colas que atiende, separadas por comas.",
)
@click.option(
    "--concurrency",
    "-c",
    type=int,
    default=None,
    help="Procesos del worker (por omisión, uno por núcleo).",
)
@click.option(
    "--loglevel", "-l", default="INFO", show_default=True, help="Nivel de la bitácora de Celery."
)
@click.option(
    "--name",
    "-n",
    default=None,
    help="Nombre del worker (%h: la máquina); por omisión, sia-<pid>@<máquina>.",
)
def worker(queue_names: str, concurrency: int | None, loglevel: str, name: str | None) -> None:
    """Ejecuta un worker de Celery (para escalar, ejecute más, en cualquier máquina)."""
    from core.config import get_settings
    from workers.app import app

    prepare_database(server="trust")
    # Celery names every worker celery@<host>: two on one machine would share a name, and
    # Flower and remote control would take them for one.
    argv = ["worker", "-Q", queue_names, "--loglevel", loglevel]
    argv += ["--hostname", name or f"sia-{os.getpid()}@%h"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if get_settings().is_embedded_broker:
        # The filesystem broker has no broadcast between workers; there is only one anyway.
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    app.worker_main(argv)


@click.command(cls=SpanishCommand)
@click.option(
    "--loglevel", "-l", default="INFO", show_default=True, help="Nivel de la bitácora de Celery."
)
def beat(loglevel: str) -> None:
    """Ejecuta el programador de tareas; debe haber exactamente uno por instalación."""
    from core.config import get_settings
    from workers.app import app

    prepare_database(server="trust")
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    schedule = settings.var_dir / "celerybeat-schedule"
    app.start(["beat", "--schedule", str(schedule), "--loglevel", loglevel])


@click.command(cls=SpanishCommand)
@click.option("--port", default=5555, show_default=True, type=int, help="Puerto en el que escucha.")
@click.option(
    "--address", default="127.0.0.1", show_default=True, help="Dirección en la que escucha."
)
def flower(port: int, address: str) -> None:
    """Ejecuta Flower, el monitor de Celery (requiere el broker Redis)."""
    from workers.app import app

    app.start(["flower", f"--port={port}", f"--address={address}"])


@click.command(cls=SpanishCommand)
@click.option("--timeout", default=30.0, show_default=True, type=float, help="Segundos de espera.")
def ping(timeout: float) -> None:
    """Envía una tarea por el broker y espera la respuesta de un worker."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    from workers.tasks.system import ping as ping_task

    try:
        answer = ping_task.delay().get(timeout=timeout)
    except CeleryTimeout:
        raise click.ClickException(
            f"Ningún worker respondió en {timeout:g} s: ¿está corriendo `sia worker`?"
        ) from None
    click.echo(f"Respuesta de {answer['worker']} a las {answer['at']}.")
