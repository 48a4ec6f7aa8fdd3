"""Loading production avisos (DOMAIN §5) from JSON Lines: `sia avisos import` and the internal
API ``POST /api/v1/interno/avisos``.

Each line is one aviso object of §5 plus ``"registroPatronal"`` (the patrón's NRP), checked
strictly by :class:`AvisoLinea` (Spanish messages). :func:`import_lines` streams: it holds one
batch at a time, never the whole file. It is idempotent on the aviso folio: a folio already
stored is skipped and counted as ``repetidas``, and so is a folio that repeats within the same
file (the first one wins). A malformed line is reported with its line number and reason and
skipped; the rest of the file goes on.

**Ordering guarantee.** The production download pages by ``Aviso.id`` (the cursor is the last
id served, ``workflow.avisos.service``), so a reader must never see a smaller id appear after a
larger one. Ids are drawn when rows are inserted but become visible at commit; two imports
committing out of order would let a reader that already passed id N later find a smaller one
and never serve it. So every transaction that inserts avisos first calls
:func:`serialize_imports`, which holds a lock that serializes imports until that transaction
commits or rolls back:

- on PostgreSQL, ``SELECT pg_advisory_xact_lock(IMPORT_LOCK_KEY)``: a transaction-scoped
  advisory lock on a fixed 64-bit key, taken at the start of each batch's transaction, before
  anything is inserted, and released by the commit;
- on SQLite, writers are serialized already: ``core.db`` opens every transaction with
  ``BEGIN IMMEDIATE``, which takes the database's write lock up front; the function only makes
  sure the transaction has begun.

While one import holds the lock every id it draws is larger than every committed id, and the
next import draws none until it has committed. Anything else that ever writes ``avisos`` must
call :func:`serialize_imports` too.

**Speed.** Lines are read and checked on the caller's thread while a writer thread stores the
batch before (one more may wait), so checking and the database's work overlap; given an engine,
the batches share one connection. On PostgreSQL each batch goes with ``COPY`` into a temporary
table (the columns, and the checked line as ``jsonb``) and moves with one ``INSERT … SELECT …
ORDER BY line ON CONFLICT (folio) DO NOTHING``, whose row count is the number imported (ids
follow the order of the lines). On SQLite, ``executemany`` of ``INSERT … ON CONFLICT (folio)
DO NOTHING``. Either way ``content`` is the aviso object as served: the line without
``registroPatronal``. While imports run, the interpreter hands the GIL over every 0.5 ms
instead of every 5 (``_PromptHandoffs``), so that the writer is not kept waiting.
"""

from __future__ import annotations

import functools
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Protocol, Self

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import utcnow
from core.db import SessionFactory
from rules.avisos import AVISO_CATALOG, AVISO_DESCRIPTIONS, AvisoClass, DiscountType
from rules.identities import (
    is_valid_curp,
    is_valid_nrp,
    is_valid_nss,
    is_valid_numero_credito,
    is_valid_rfc,
)
from schema.base import UTCDateTime

__all__ = [
    "DEFAULT_BATCH",
    "IMPORT_LOCK_KEY",
    "MAX_ERRORS_KEPT",
    "MAX_LINE_BYTES",
    "AvisoLinea",
    "ImportReport",
    "LineaInvalida",
    "Readable",
    "TipoAvisoLinea",
    "import_lines",
    "parse_line",
    "read_lines",
    "serialize_imports",
]

# pg_advisory_xact_lock's key for imports: "SIAAVISO" read as a big-endian 64-bit integer.
IMPORT_LOCK_KEY: Final = 0x5349_4141_5649_534F
DEFAULT_BATCH: Final = 5000
MAX_LINE_BYTES: Final = 64 * 1024
MAX_ERRORS_KEPT: Final = 1000
MAX_NOMBRE: Final = 200

_FOLIO = re.compile(r"\d{10}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# valorDescuento: 2 decimals for porcentaje and cuota fija, 4 for VSM (§5); at most 9 integers.
_VALOR = {
    DiscountType.PORCENTAJE: re.compile(r"(?:0|[1-9]\d{0,8})\.\d{2}"),
    DiscountType.CUOTA_FIJA: re.compile(r"(?:0|[1-9]\d{0,8})\.\d{2}"),
    DiscountType.VSM: re.compile(r"(?:0|[1-9]\d{0,8})\.\d{4}"),
}
_EXAMPLES = {2: "2450.00", 4: "22.2500"}
_CLAVES = ", ".join(AVISO_CATALOG)
_BOM = "\ufeff"


# A worker's avisos come together and repeat the same identities: their check digits are
# computed once.
_valid_nss = functools.lru_cache(maxsize=4096)(is_valid_nss)
_valid_curp = functools.lru_cache(maxsize=4096)(is_valid_curp)
_valid_nrp = functools.lru_cache(maxsize=4096)(is_valid_nrp)


@functools.lru_cache(maxsize=4096)
def _valid_rfc(value: str) -> bool:
    return is_valid_rfc(value, kind="fisica")


class LineaInvalida(ValueError):
    """A line that cannot be imported; ``str(exc)`` is the Spanish reason."""


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def _invalid(message: str) -> PydanticCustomError:
    # Through the context, so that braces in the message are not read as placeholders.
    return PydanticCustomError("aviso_invalido", "{mensaje}", {"mensaje": message})


class TipoAvisoLinea(BaseModel):
    """``tipoAviso`` of §5: a clave of the catalog with its description and class."""

    model_config = ConfigDict(strict=True, extra="forbid")

    clave: str
    descripcion: str
    clase: str


class AvisoLinea(BaseModel):
    """One import line: the §5 aviso object and ``registroPatronal``.

    JSON types are strict (a number is not text, a date is ``AAAA-MM-DD`` text); the fields of
    §5 are all required, those that do not apply to the class as ``null``.
    """

    model_config = ConfigDict(strict=True, extra="forbid")

    folio: str
    fecha_aviso: date = Field(alias="fechaAviso")
    tipo_aviso: TipoAvisoLinea = Field(alias="tipoAviso")
    nss: str
    rfc: str
    curp: str
    nombre: str
    numero_credito: str = Field(alias="numeroCredito")
    tipo_descuento: int | None = Field(alias="tipoDescuento")
    valor_descuento: str | None = Field(alias="valorDescuento")
    fecha_inicio_descuento: date | None = Field(alias="fechaInicioDescuento")
    fecha_fin: date | None = Field(alias="fechaFin")
    registro_patronal: str = Field(alias="registroPatronal")

    @property
    def clase(self) -> AvisoClass:
        return AVISO_CATALOG[self.tipo_aviso.clave]

    @model_validator(mode="after")
    def _domain(self) -> Self:
        problem = self._identities() or self._tipo() or self._discount()
        if problem:
            raise _invalid(problem)
        return self

    def _identities(self) -> str | None:
        if not _valid_nrp(self.registro_patronal):
            return (
                f"«registroPatronal» no es un NRP válido (una letra o dígito y diez dígitos): "
                f"«{_shown(self.registro_patronal)}»."
            )
        if not _FOLIO.fullmatch(self.folio):
            return f"«folio» debe tener 10 dígitos: «{_shown(self.folio)}»."
        if not _valid_nss(self.nss):
            return (
                f"«nss» no es un NSS válido (11 dígitos, el último el verificador del IMSS): "
                f"«{_shown(self.nss)}»."
            )
        if not _valid_rfc(self.rfc):
            return (
                f"«rfc» no es un RFC de persona física válido (formato, fecha o dígito "
                f"verificador): «{_shown(self.rfc)}»."
            )
        if not _valid_curp(self.curp):
            return (
                f"«curp» no es una CURP válida (formato, fecha, entidad o dígito verificador): "
                f"«{_shown(self.curp)}»."
            )
        if not self.nombre.strip() or len(self.nombre) > MAX_NOMBRE:
            return f"«nombre» debe tener de 1 a {MAX_NOMBRE} caracteres."
        if _CONTROL.search(self.nombre):
            return "«nombre» contiene caracteres de control."
        if not is_valid_numero_credito(self.numero_credito):
            return f"«numeroCredito» debe tener 10 dígitos: «{_shown(self.numero_credito)}»."
        return None

    def _tipo(self) -> str | None:
        tipo = self.tipo_aviso
        expected = AVISO_CATALOG.get(tipo.clave)
        if expected is None:
            return (
                f"«tipoAviso.clave» «{_shown(tipo.clave)}» no está en el catálogo de avisos "
                f"({_CLAVES})."
            )
        if tipo.clase != expected:
            return (
                f"«tipoAviso.clase» «{_shown(tipo.clase)}» no corresponde a la clave "
                f"«{tipo.clave}», que es {expected}."
            )
        if tipo.descripcion != AVISO_DESCRIPTIONS[tipo.clave]:
            return (
                f"«tipoAviso.descripcion» «{_shown(tipo.descripcion)}» no corresponde a la clave "
                f"«{tipo.clave}» («{AVISO_DESCRIPTIONS[tipo.clave]}»)."
            )
        return None

    def _discount(self) -> str | None:
        clase = self.clase
        if clase is AvisoClass.SUSPENSION:
            for name, value in (
                ("tipoDescuento", self.tipo_descuento),
                ("valorDescuento", self.valor_descuento),
                ("fechaInicioDescuento", self.fecha_inicio_descuento),
            ):
                if value is not None:
                    return f"«{name}» no aplica a un aviso de SUSPENSION: debe ser null."
            if self.fecha_fin is None:
                return "Un aviso de SUSPENSION necesita «fechaFin»."
            return None
        if self.fecha_fin is not None:
            return f"«fechaFin» no aplica a un aviso de {clase}: debe ser null."
        if self.fecha_inicio_descuento is None:
            return f"Un aviso de {clase} necesita «fechaInicioDescuento»."
        if self.tipo_descuento not in (1, 2, 3):
            return "«tipoDescuento» debe ser 1 (porcentaje), 2 (cuota fija) o 3 (VSM)."
        tipo = DiscountType(self.tipo_descuento)
        valor = self.valor_descuento
        if valor is None or not _VALOR[tipo].fullmatch(valor):
            return (
                f"«valorDescuento» debe ser texto con {tipo.decimals} decimales para el "
                f"tipoDescuento {int(tipo)}, p. ej. «{_EXAMPLES[tipo.decimals]}»: "
                f"«{_shown(str(valor))}»."
            )
        if valor.strip("0.") == "":
            return "«valorDescuento» debe ser mayor que cero."
        if tipo is DiscountType.PORCENTAJE and float(valor) > 100:
            return f"«valorDescuento» es un porcentaje mayor que 100: «{valor}»."
        return None


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


_TYPE_NAMES = {
    "string_type": "texto",
    "int_type": "un número entero o null",
    "dict_type": "un objeto",
    "model_type": "un objeto",
    "model_attributes_type": "un objeto",
}


def _spanish(error: ErrorDetails) -> str:
    kind, where = error["type"], _field(error["loc"])
    if kind == "aviso_invalido":
        return error["msg"]
    if kind == "json_invalid":
        return "La línea no es JSON válido."
    if not where:
        return "La línea debe ser un objeto JSON."
    if kind == "missing":
        return f"Falta el campo «{where}»."
    if kind == "extra_forbidden":
        return f"El campo «{where}» no es parte de un aviso."
    if kind.startswith("date"):
        return f"«{where}» debe ser una fecha AAAA-MM-DD válida."
    if kind in _TYPE_NAMES:
        return f"«{where}» debe ser {_TYPE_NAMES[kind]}."
    return f"«{where}» no es válido."


def parse_line(raw: bytes | str) -> AvisoLinea:
    """The aviso of one line, or :class:`LineaInvalida` saying why not (in Spanish)."""
    try:
        return AvisoLinea.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        messages = list(dict.fromkeys(_spanish(error) for error in errors))
        more = len(messages) - 3
        text = " ".join(messages[:3]) + (f" (y {more} más)" if more > 0 else "")
        raise LineaInvalida(text) from None


@dataclass
class ImportReport:
    """What one import did. ``errores`` keeps the first MAX_ERRORS_KEPT (line, reason);
    ``errores_total`` counts them all. leidas = importadas + repetidas + errores_total (blank
    lines are not counted)."""

    leidas: int = 0
    importadas: int = 0
    repetidas: int = 0
    errores: list[tuple[int, str]] = field(default_factory=list)
    errores_total: int = 0
    segundos: float = 0.0

    @property
    def avisos_por_segundo(self) -> float:
        """Lines handled per second (imported, repeated or refused)."""
        return self.leidas / self.segundos if self.segundos > 0 else 0.0

    def _refuse(self, line: int, message: str) -> None:
        self.errores_total += 1
        if len(self.errores) < MAX_ERRORS_KEPT:
            self.errores.append((line, message))


def serialize_imports(session: Session) -> None:
    """Begin the session's transaction holding the import lock, kept until it ends (see the
    module's docstring): PostgreSQL's advisory lock on IMPORT_LOCK_KEY, SQLite's write lock."""
    connection = session.connection()  # SQLite: BEGIN IMMEDIATE (core.db)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (IMPORT_LOCK_KEY,))


class Readable(Protocol):
    """A binary stream as :func:`read_lines` reads it (a file, gzip, standard input)."""

    def readline(self, size: int = -1, /) -> bytes: ...


def read_lines(stream: Readable, *, limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of a binary stream, each read with at most ``limit`` + 1 bytes in memory: a
    longer one is cut there (the rest skipped), so :func:`import_lines` refuses it."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(limit)
                if not rest or rest.endswith(b"\n"):
                    break
        yield line


def _length(raw: bytes | str) -> int:
    """Of a line without its end: in bytes, or in characters when it comes as text."""
    if isinstance(raw, bytes):
        return len(raw.rstrip(b"\r\n"))
    return len(raw.rstrip("\r\n"))


def _dialect(target: Engine | SessionFactory) -> str:
    if isinstance(target, Engine):
        return target.dialect.name
    with target() as session:
        return session.get_bind().dialect.name


@contextmanager
def _units(target: Engine | SessionFactory) -> Iterator[SessionFactory]:
    """Units of work for the batches: the given factory's, or, for an engine, transactions on
    one connection kept for the whole import (no check-out, ping and reset per batch)."""
    if not isinstance(target, Engine):
        yield target
        return
    with target.connect() as connection:

        @contextmanager
        def unit() -> Iterator[Session]:
            with Session(bind=connection, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise

        yield unit


def import_lines(
    target: Engine | SessionFactory,
    lines: Iterable[bytes | str],
    *,
    batch: int = DEFAULT_BATCH,
) -> ImportReport:
    """Import JSON Lines of avisos, ``batch`` valid lines per transaction (each under the import
    lock); lines are numbered from 1 as they come, blank ones skipped.

    A thread of its own writes each batch while the next one is read and checked, with at most
    one more waiting, so memory stays at about three batches. A database error stops the import
    and is raised: the batches before it are committed, so running it again finishes the job.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    postgresql = _dialect(target) == "postgresql"
    row, store = (_pg_row, _pg_store) if postgresql else (_sqlite_row, _sqlite_store)
    report = ImportReport()
    started = time.perf_counter()
    with _HANDOFFS:
        _read(lines, row, _Writer(target, store, report), report, batch)
    report.segundos = time.perf_counter() - started
    return report


def _read(
    lines: Iterable[bytes | str],
    row: Callable[[int, AvisoLinea, str], Any],
    writer: _Writer,
    report: ImportReport,
    batch: int,
) -> None:
    try:
        # What waits for its batch is the row to store, not the checked aviso: plain text dies
        # young or is not tracked by the garbage collector, which otherwise keeps walking
        # thousands of live models.
        pending: list[Any] = []
        for number, raw in enumerate(lines, start=1):
            if len(raw) > MAX_LINE_BYTES and _length(raw) > MAX_LINE_BYTES:
                report.leidas += 1
                report._refuse(number, f"La línea excede {MAX_LINE_BYTES // 1024} KiB.")
                continue
            try:
                text = raw.decode() if isinstance(raw, bytes) else raw
            except UnicodeDecodeError:
                report.leidas += 1
                report._refuse(number, "La línea no está en UTF-8.")
                continue
            if number == 1:
                text = text.removeprefix(_BOM)
            if not text or text.isspace():
                continue
            report.leidas += 1
            try:
                pending.append(row(number, parse_line(text), text))
            except LineaInvalida as exc:
                report._refuse(number, str(exc))
                continue
            if len(pending) >= batch:
                writer.put(pending)
                pending = []
        if pending:
            writer.put(pending)
    finally:
        writer.close()


class _PromptHandoffs:
    """While imports run, CPython's switch interval is 0.5 ms instead of 5 ms (restored when
    the last one ends).

    The writer thread needs the GIL for a moment after each reply of the database (and COPY
    sends a batch in many pieces); the reading thread, always busy checking lines, keeps the GIL
    for a whole switch interval each time. With the default 5 ms the database idles through
    those waits and the import runs at about three quarters of the rate it reaches here
    (bench/avisos_import.py).
    """

    SECONDS = 0.0005

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = 0.0

    def __enter__(self) -> None:
        with self._lock:
            if self._running == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, self.SECONDS))
            self._running += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                sys.setswitchinterval(self._saved)


_HANDOFFS = _PromptHandoffs()


_Store = Callable[[sa.Connection, list[Any]], int]


class _Writer:
    """Stores batches in a thread of its own, in the order given."""

    def __init__(
        self, target: Engine | SessionFactory, store: _Store, report: ImportReport
    ) -> None:
        self._target, self._store, self._report = target, store, report
        self._queue: queue.Queue[list[Any] | None] = queue.Queue(maxsize=1)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="avisos-import", daemon=True)
        self._thread.start()

    def put(self, rows: list[Any]) -> None:
        if self._failure is not None:
            raise self._failure
        self._queue.put(rows)

    def close(self) -> None:
        """Wait for what was given; raise what failed."""
        self._queue.put(None)
        self._thread.join()
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        try:
            with _units(self._target) as unit:
                while (rows := self._queue.get()) is not None:
                    with unit() as session:
                        serialize_imports(session)
                        inserted = self._store(session.connection(), rows)
                    self._report.importadas += inserted
                    self._report.repetidas += len(rows) - inserted
        except BaseException as exc:
            self._failure = exc
            # Drained, not stored: the import stops at the first failure.
            while self._queue.get() is not None:
                pass


# Created by a connection's first import (it lives as long as the connection; once there, the
# statement only says so) and emptied by every commit.
_PG_TEMP = """
CREATE TEMPORARY TABLE IF NOT EXISTS avisos_lote (
    line integer, folio text, patron_nrp text, nss text, fecha_aviso date, clase text,
    tipo_clave text, line_json jsonb
) ON COMMIT DELETE ROWS
"""
_PG_COPY = (
    "COPY avisos_lote (line, folio, patron_nrp, nss, fecha_aviso, clase, tipo_clave, line_json) "
    "FROM STDIN"
)
# The line as it came, checked, is the aviso as served once registroPatronal is taken out:
# jsonb keeps neither the key order nor the spacing of either.
_PG_MOVE = """
INSERT INTO avisos (folio, patron_nrp, nss, fecha_aviso, clase, tipo_clave, content, imported_at)
SELECT folio, patron_nrp, nss, fecha_aviso, clase, tipo_clave, line_json - 'registroPatronal', %s
FROM avisos_lote ORDER BY line
ON CONFLICT (folio) DO NOTHING
"""
# COPY's text format: a backslash starts an escape; a tab, newline or carriage return would end
# the field or the row (JSON allows them as spacing between tokens).


def _copy_field(text: str) -> str:
    text = text.rstrip()
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _pg_row(line: int, aviso: AvisoLinea, text: str) -> str:
    """The aviso's row of COPY's text format."""
    return (
        f"{line}\t{aviso.folio}\t{aviso.registro_patronal}\t{aviso.nss}\t{aviso.fecha_aviso}\t"
        f"{aviso.clase.value}\t{aviso.tipo_aviso.clave}\t{_copy_field(text)}\n"
    )


def _pg_store(connection: sa.Connection, rows: list[str]) -> int:
    raw: Any = connection.connection.driver_connection  # psycopg.Connection, same transaction
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        with raw.cursor() as cursor:
            cursor.execute(_PG_TEMP)
            with cursor.copy(_PG_COPY) as copy:
                copy.write("".join(rows).encode("utf-8"))
            cursor.execute(_PG_MOVE, (utcnow(),))
            inserted: int = cursor.rowcount
    except dbapi_error as exc:
        # As SQLAlchemy's own (OperationalError…), which callers handle: the web answers a
        # database that went away with its 503, the command line with its message.
        raise sa.exc.DBAPIError.instance(_PG_MOVE, None, exc, dbapi_error) from exc
    return inserted


_SQLITE_INSERT = sa.text(
    "INSERT INTO avisos (folio, patron_nrp, nss, fecha_aviso, clase, tipo_clave, content, "
    "imported_at) "
    "VALUES (:folio, :patron_nrp, :nss, :fecha_aviso, :clase, :tipo_clave, :content, :at) "
    "ON CONFLICT (folio) DO NOTHING"
).bindparams(sa.bindparam("at", type_=UTCDateTime()))


def _sqlite_row(line: int, aviso: AvisoLinea, text: str) -> dict[str, str]:
    return {
        "folio": aviso.folio,
        "patron_nrp": aviso.registro_patronal,
        "nss": aviso.nss,
        "fecha_aviso": aviso.fecha_aviso.isoformat(),
        "clase": aviso.clase.value,
        "tipo_clave": aviso.tipo_aviso.clave,
        "content": aviso.model_dump_json(by_alias=True, exclude={"registro_patronal"}),
    }


def _sqlite_store(connection: sa.Connection, rows: list[dict[str, Any]]) -> int:
    at = utcnow()
    before = connection.exec_driver_sql("SELECT total_changes()").scalar_one()
    connection.execute(_SQLITE_INSERT, [row | {"at": at} for row in rows])
    after = connection.exec_driver_sql("SELECT total_changes()").scalar_one()
    return int(after) - int(before)
