"""Long-running processes: `sia web`, `sia worker`, `sia beat`, `sia flower`, and `sia ping`."""

from __future__ import annotations

import click

from core.config import get_settings
from workers import queues


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", "processes", default=1, show_default=True, help="Web processes.")
def web(host: str, port: int, processes: int) -> None:
    """Serve the dashboard, the vendor portal and the JSON API."""
    import uvicorn

    uvicorn.run(
        "review.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        proxy_headers=True,
        forwarded_allow_ips=get_settings().forwarded_allow_ips,
        log_level="info",
    )


@click.command()
@click.option(
    "--queues",
    "-Q",
    "queue_names",
    default=",".join(queues.ALL),
    show_default=True,
    help="Comma-separated queues to consume.",
)
@click.option(
    "--concurrency", "-c", type=int, default=None, help="Worker processes (default: cores)."
)
@click.option("--loglevel", "-l", default="INFO", show_default=True)
def worker(queue_names: str, concurrency: int | None, loglevel: str) -> None:
    """Run a Celery worker (scale out by running more, on any machine)."""
    from workers.app import app

    argv = ["worker", "-Q", queue_names, "--loglevel", loglevel]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if get_settings().is_embedded_broker:
        # The filesystem broker has no broadcast between workers; there is only one anyway.
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    app.worker_main(argv)


@click.command()
@click.option("--loglevel", "-l", default="INFO", show_default=True)
def beat(loglevel: str) -> None:
    """Run the scheduler. Exactly one must run per deployment."""
    from workers.app import app

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    schedule = settings.var_dir / "celerybeat-schedule"
    app.start(["beat", "--schedule", str(schedule), "--loglevel", loglevel])


@click.command()
@click.option("--port", default=5555, show_default=True, type=int)
@click.option("--address", default="127.0.0.1", show_default=True)
def flower(port: int, address: str) -> None:
    """Run Flower, the Celery monitoring UI (needs the Redis broker)."""
    from workers.app import app

    app.start(["flower", f"--port={port}", f"--address={address}"])


@click.command()
@click.option("--timeout", default=30.0, show_default=True, type=float)
def ping(timeout: float) -> None:
    """Send a task through the broker and wait for a worker's answer."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    from workers.tasks.system import ping as ping_task

    try:
        answer = ping_task.delay().get(timeout=timeout)
    except CeleryTimeout:
        raise click.ClickException(
            f"Ningún worker respondió en {timeout:g} s: ¿está corriendo `sia worker`?"
        ) from None
    click.echo(f"Respuesta de {answer['worker']} a las {answer['at']}.")
