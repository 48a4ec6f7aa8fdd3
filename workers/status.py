"""What the broker holds and which workers answer, for the administrator's page.

Both are read through the Celery app's own configuration (the broker every process uses), with
short timeouts: the page must answer quickly, and say what failed, when the broker or the
workers do not. Nothing here raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from kombu import Connection
from kombu.exceptions import ChannelError
from kombu.transport.base import StdChannel
from kombu.transport.virtual import Channel

from workers import queues
from workers.app import app

ASK_SECONDS = 1
EMBEDDED_WORKERS_NOTE = (
    "Con el broker de archivos (modo local) los workers no atienden consultas; "
    "«sia ping» comprueba que alguno responda enviándole una tarea."
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueDepth:
    name: str
    messages: int


@dataclass(frozen=True)
class BrokerStatus:
    queues: list[QueueDepth]  # empty when the broker could not be read
    broker_error: str | None  # why not, in Spanish
    workers: list[str] | None  # names of the workers that answered; None: not known
    workers_note: str | None  # why they are not known


def _first_line(exc: Exception) -> str:
    # Without its final period: the Spanish sentence around it ends with its own.
    return f"{type(exc).__name__}: {exc}".splitlines()[0].rstrip(".")


def _depth(channel: StdChannel, name: str) -> int:
    # Redis and the filesystem broker are kombu's virtual transports; a passive declare only
    # counts, it creates nothing.
    try:
        return int(cast(Channel, channel).queue_declare(queue=name, passive=True).message_count)
    except ChannelError:
        return 0  # never declared (Redis drops an emptied list): nothing is waiting


def _workers(connection: Connection, timeout: int) -> tuple[list[str] | None, str | None]:
    if not app.conf.worker_enable_remote_control:
        return None, EMBEDDED_WORKERS_NOTE
    try:
        replies = app.control.ping(timeout=timeout, connection=connection)
    except Exception as exc:  # whatever the broadcast fails with, the page says so
        logger.warning("workers did not answer the ping: %s", _first_line(exc))
        return None, f"Sin respuesta de los workers ({_first_line(exc)})."
    return sorted(name for reply in replies or [] for name in reply), None


def broker_status(timeout: int = ASK_SECONDS) -> BrokerStatus:
    """Messages waiting per queue and the workers that answer a ping within ``timeout``."""
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    try:
        with app.connection_for_read(connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
            depths = [QueueDepth(name, _depth(conn.default_channel, name)) for name in queues.ALL]
            workers, note = _workers(conn, timeout)
    except Exception as exc:  # a broker that is down or misconfigured is what the page reports
        logger.warning("broker status unavailable: %s", _first_line(exc))
        return BrokerStatus([], f"No se pudo consultar el broker: {_first_line(exc)}.", None, None)
    return BrokerStatus(depths, None, workers, note)
