"""Loading production avisos from JSON Lines (workflow.avisos.imports), on SQLite and PostgreSQL:
what is stored, idempotence on the folio, malformed lines reported by number while the rest is
kept, gzip, and the lock that keeps ids visible in increasing order."""

from __future__ import annotations

import gzip
import io
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from core.db import session_scope
from rules.synthetic import synthetic_avisos, synthetic_lines
from schema import Aviso, AvisoClase
from workflow.avisos.imports import (
    IMPORT_LOCK_KEY,
    MAX_ERRORS_KEPT,
    MAX_LINE_BYTES,
    ImportReport,
    LineaInvalida,
    import_lines,
    parse_line,
    read_lines,
    serialize_imports,
)

ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _avisos(count: int, seed: str = "importación") -> list[dict[str, Any]]:
    return list(synthetic_avisos(patrones=min(3, count), avisos=count, seed=seed))


def _line(aviso: dict[str, Any], **changes: Any) -> str:
    return json.dumps(aviso | changes, ensure_ascii=False)


def _stored(engine: Engine) -> list[Aviso]:
    with Session(engine) as session:
        return list(session.exec(select(Aviso).order_by(col(Aviso.id))).all())


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Aviso)).one()


def test_avisos_are_stored_as_served_in_the_order_of_the_lines(engine):
    avisos = _avisos(120)
    report = import_lines(engine, [_line(a) + "\n" for a in avisos], batch=50)
    assert (report.leidas, report.importadas, report.repetidas) == (120, 120, 0)
    assert report.errores == [] and report.errores_total == 0
    assert report.segundos > 0 and report.avisos_por_segundo > 0
    stored = _stored(engine)
    assert [row.folio for row in stored] == [a["folio"] for a in avisos]
    for row, aviso in zip(stored, avisos, strict=True):
        served = {k: v for k, v in aviso.items() if k != "registroPatronal"}
        assert row.content == served
        assert row.patron_nrp == aviso["registroPatronal"]
        assert row.nss == aviso["nss"]
        assert row.fecha_aviso.isoformat() == aviso["fechaAviso"]
        assert row.clase is AvisoClase(aviso["tipoAviso"]["clase"])
        assert row.tipo_clave == aviso["tipoAviso"]["clave"]
        assert row.imported_at.tzinfo is not None


def test_importing_again_skips_every_folio(engine):
    lines = list(synthetic_lines(patrones=2, avisos=40, seed="otra vez"))
    first = import_lines(engine, lines, batch=7)
    again = import_lines(engine, lines, batch=7)
    assert (first.importadas, first.repetidas) == (40, 0)
    assert (again.leidas, again.importadas, again.repetidas) == (40, 0, 40)
    assert _count(engine) == 40


@pytest.mark.parametrize("batch", [2, 100])
def test_a_folio_twice_in_one_file_keeps_the_first(engine, batch):
    first, second, third = _avisos(3)
    twin = third | {"folio": first["folio"], "nombre": "OTRO NOMBRE"}
    lines = [_line(first), _line(second), _line(twin), _line(third)]
    report = import_lines(engine, lines, batch=batch)
    assert (report.leidas, report.importadas, report.repetidas) == (4, 3, 1)
    stored = {row.folio: row for row in _stored(engine)}
    assert stored[first["folio"]].content["nombre"] == first["nombre"]


def test_malformed_lines_are_reported_by_number_and_the_rest_is_kept(engine):
    good = _avisos(8)
    suspension = next(a for a in _avisos(200) if a["tipoAviso"]["clase"] == "SUSPENSION")
    retencion = good[0]
    lines = [
        _line(good[0]),  # 1
        '{"folio": "0000000001", ',  # 2: not JSON
        _line(good[1]),  # 3
        _line(good[2], nss="12345678901"),  # 4: wrong check digit
        _line(good[3], tipoAviso={"clave": "09", "descripcion": "X", "clase": "SUSPENSION"}),
        "",  # 6: blank, not counted
        _line(good[4], tipoDescuento="2"),  # 7: a number as text
        _line(suspension, tipoDescuento=2),  # 8: does not apply to a suspension
        _line(retencion | {"folio": "0000000009"}, tipoDescuento=2, valorDescuento="2450.5"),
        _line({k: v for k, v in good[5].items() if k != "curp"}),  # 10: missing
        _line(good[6], fechaAviso="15/01/2026"),  # 11
        _line(good[7], registroPatronal="Y54"),  # 12
        "[1, 2]",  # 13
        _line(good[5], extra=1),  # 14
        _line(good[5]),  # 15
    ]
    report = import_lines(engine, [line + "\n" for line in lines], batch=2)
    assert (report.leidas, report.importadas, report.repetidas) == (14, 3, 0)
    assert report.errores_total == 11 == len(report.errores)
    errors = dict(report.errores)
    assert list(errors) == [2, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14]
    assert "no es JSON válido" in errors[2]
    assert "«nss» no es un NSS válido" in errors[4] and "12345678901" in errors[4]
    assert "«tipoAviso.clave» «09» no está en el catálogo" in errors[5]
    assert "«tipoDescuento» debe ser un número entero" in errors[7]
    assert "«tipoDescuento» no aplica a un aviso de SUSPENSION" in errors[8]
    assert "«valorDescuento» debe ser texto con 2 decimales" in errors[9]
    assert "Falta el campo «curp»" in errors[10]
    assert "«fechaAviso» debe ser una fecha AAAA-MM-DD" in errors[11]
    assert "«registroPatronal» no es un NRP válido" in errors[12]
    assert "debe ser un objeto JSON" in errors[13]
    assert "El campo «extra» no es parte de un aviso" in errors[14]
    assert [row.folio for row in _stored(engine)] == [
        f["folio"] for f in (good[0], good[1], good[5])
    ]


def test_the_checks_speak_spanish():
    aviso = _avisos(1)[0]
    cases = {
        "«folio» debe tener 10 dígitos": {"folio": "123"},
        "«rfc» no es un RFC de persona física válido": {"rfc": "CAC840428RH1"},
        "«curp» no es una CURP válida": {"curp": aviso["curp"][:-1] + "0"},
        "«numeroCredito» debe tener 10 dígitos": {"numeroCredito": "12"},
        "«nombre» debe tener de 1 a 200 caracteres": {"nombre": " "},
        "«nombre» contiene caracteres de control": {"nombre": "JUAN\u0000PEREZ"},
        "no corresponde a la clave «01», que es RETENCION": {
            "tipoAviso": {
                "clave": "01",
                "descripcion": "Inicio de descuento",
                "clase": "SUSPENSION",
            }
        },
        "«tipoAviso.descripcion» «Otra» no corresponde": {
            "tipoAviso": {"clave": "01", "descripcion": "Otra", "clase": "RETENCION"}
        },
        "«fechaFin» no aplica a un aviso de RETENCION": {"fechaFin": "2026-01-01"},
        "necesita «fechaInicioDescuento»": {"fechaInicioDescuento": None},
        "«tipoDescuento» debe ser 1 (porcentaje), 2 (cuota fija) o 3 (VSM)": {"tipoDescuento": 4},
        "«valorDescuento» debe ser texto con 4 decimales": {
            "tipoDescuento": 3,
            "valorDescuento": "22.25",
        },
        "«valorDescuento» debe ser mayor que cero": {
            "tipoDescuento": 2,
            "valorDescuento": "0.00",
        },
        "es un porcentaje mayor que 100": {"tipoDescuento": 1, "valorDescuento": "120.00"},
        "«fechaAviso» debe ser una fecha AAAA-MM-DD": {"fechaAviso": "2026-02-30"},
        "«nss» debe ser texto": {"nss": 12345678903},
    }
    base = aviso | {
        "tipoAviso": {"clave": "01", "descripcion": "Inicio de descuento", "clase": "RETENCION"},
        "tipoDescuento": 2,
        "valorDescuento": "2450.00",
        "fechaInicioDescuento": "2026-01-16",
        "fechaFin": None,
    }
    assert parse_line(json.dumps(base)).folio == aviso["folio"]
    for message, change in cases.items():
        with pytest.raises(LineaInvalida) as refused:
            parse_line(json.dumps(base | change))
        assert message in str(refused.value), (change, str(refused.value))
    # Braces in a value are shown as they are, not read as a template.
    with pytest.raises(LineaInvalida, match=r"«\{x\}»"):
        parse_line(json.dumps(base | {"folio": "{x}"}))


def test_a_compressed_file_is_read_line_by_line(engine, tmp_path: Path):
    path = tmp_path / "avisos.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.writelines(synthetic_lines(patrones=4, avisos=300, seed="gzip"))
    with gzip.open(path, "rb") as stream:
        report = import_lines(engine, read_lines(stream), batch=64)
    assert (report.leidas, report.importadas, report.errores_total) == (300, 300, 0)


def test_an_overlong_line_is_refused_without_reading_it_whole(engine):
    aviso = _avisos(1)[0]
    huge = _line(aviso, nombre="A" * (2 * MAX_LINE_BYTES))
    stream = io.BytesIO(("\ufeff" + _line(_avisos(2)[1]) + "\n" + huge + "\n").encode())
    lines = list(read_lines(stream))
    assert len(lines) == 2 and len(lines[1]) == MAX_LINE_BYTES + 1
    report = import_lines(engine, lines)
    assert report.importadas == 1  # the first line, after its byte-order mark
    assert report.errores == [(2, "La línea excede 64 KiB.")]


def test_a_line_that_is_not_utf8_is_refused(engine):
    aviso = _avisos(1)[0]
    latin1 = _line(aviso, nombre="JOSÉ PÉREZ").encode("latin-1")
    report = import_lines(engine, [latin1, b"  \n", _line(aviso).encode()])
    assert (report.leidas, report.importadas) == (2, 1)
    assert report.errores == [(1, "La línea no está en UTF-8.")]


def test_the_switch_interval_is_short_while_importing_and_restored_after(engine):
    before = sys.getswitchinterval()
    seen: list[float] = []

    def lines() -> Iterator[str]:
        seen.append(sys.getswitchinterval())
        yield from synthetic_lines(patrones=1, avisos=3, seed="intervalo")

    import_lines(engine, lines())
    assert seen == [min(before, 0.0005)]
    assert sys.getswitchinterval() == before


def test_errors_kept_are_capped_and_all_counted(engine):
    report = import_lines(engine, ["no es json"] * (MAX_ERRORS_KEPT + 5))
    assert report.errores_total == MAX_ERRORS_KEPT + 5
    assert len(report.errores) == MAX_ERRORS_KEPT
    assert report.errores[-1][0] == MAX_ERRORS_KEPT


def test_a_database_failure_stops_the_import_and_keeps_the_batches_before(engine):
    calls = 0

    @contextmanager
    def failing() -> Iterator[Session]:
        nonlocal calls
        calls += 1
        if calls == 3:  # the first call only tells the dialect; the second batch fails
            raise RuntimeError("la base de datos se fue")
        with session_scope(engine) as session:
            yield session

    lines = list(synthetic_lines(patrones=1, avisos=6, seed="falla"))
    with pytest.raises(RuntimeError, match="se fue"):
        import_lines(failing, lines, batch=2)
    assert _count(engine) == 2
    report = import_lines(engine, lines, batch=2)  # running it again finishes the job
    assert (report.importadas, report.repetidas) == (4, 2)


def test_an_import_waits_while_another_holds_the_lock(engine):
    lines = list(synthetic_lines(patrones=1, avisos=10, seed="cerrojo"))
    result: list[ImportReport] = []
    with Session(engine) as holder:
        serialize_imports(holder)
        second = threading.Thread(target=lambda: result.append(import_lines(engine, lines)))
        second.start()
        time.sleep(1.0)
        assert second.is_alive() and result == []
        if engine.dialect.name == "postgresql":  # SQLite readers would queue for the lock too
            assert _count(engine) == 0
        holder.commit()  # the lock goes with the transaction
    second.join(30)
    assert result and result[0].importadas == 10


@ON_POSTGRESQL
def test_on_postgresql_the_lock_is_an_advisory_transaction_lock(engine):
    # pg_locks is the whole server's: only this test's database counts.
    held = (
        "SELECT classid::bigint, objid::bigint, objsubid, granted FROM pg_locks "
        "WHERE locktype = 'advisory' AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with Session(engine) as holder:
        serialize_imports(holder)
        with Session(engine) as observer:
            rows = list(observer.connection().exec_driver_sql(held))
        assert rows == [(IMPORT_LOCK_KEY >> 32, IMPORT_LOCK_KEY & 0xFFFFFFFF, 1, True)]
        holder.rollback()
    with Session(engine) as observer:
        assert list(observer.connection().exec_driver_sql(held)) == []
