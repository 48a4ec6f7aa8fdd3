"""The evidence workbook template sent with a test set (DOMAIN §8), as ``.xlsx`` bytes.

The evidence reader finds sections and columns by their text, so the heading and header texts
below are an interface: change them only together with the reader. The file is byte-for-byte
reproducible from the test set (fixed document dates and zip entry times).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

SHEET_JSON = "1 JSON"
SHEET_CALCULOS = "2 Calculos"
SHEET_PANTALLAS = "3 Pantallas"
SHEET_CFDI = "4 CFDI"
SHEET_NAMES = (SHEET_JSON, SHEET_CALCULOS, SHEET_PANTALLAS, SHEET_CFDI)

HEADING_MUESTRAS = "MUESTRAS DEL CÁLCULO DE RETENCIONES"
HEADING_EVALUACION = "EVALUACIÓN PARA EL CÁLCULO DE RETENCIONES"
HEADERS_MUESTRAS = (
    "Caso",
    "NSS",
    "Desde",
    "Hasta",
    "Tipo de descuento",
    "Valor de descuento",
    "Días del bimestre",
    "Días descontados",
    "Importe diario",
    "Importe sin tope",
    "Tope",
    "Amortización",
    "Seguro de daños",
    "Total",
)
HEADERS_EVALUACION = ("Caso", "NSS", "Total a retener")

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TEXT, _DATE, _MONEY = "@", "DD/MM/YYYY", "#,##0.00"
# Number formats of the columns the vendor fills (NSS stays text: it may start with 0).
_FORMATS_MUESTRAS = {2: _TEXT, 3: _DATE, 4: _DATE, **dict.fromkeys(range(9, 15), _MONEY)}
_FORMATS_EVALUACION = {2: _TEXT, 3: _MONEY}
# Zip entries carry a time of their own; a fixed one keeps the file reproducible.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _instructions(sheet: Worksheet, title: str, lines: Sequence[str], width: int) -> int:
    """Title and instructions at the top of ``sheet``; returns the first free row."""
    sheet["A1"] = title
    sheet["A1"].font = _TITLE
    for row, line in enumerate(lines, start=3):
        sheet.cell(row=row, column=1, value=line)
    sheet.column_dimensions["A"].width = width
    return 3 + len(lines) + 1


def _table(sheet: Worksheet, row: int, heading: str, headers: Sequence[str]) -> int:
    """A section heading and its header row; returns the first data row."""
    sheet.cell(row=row, column=1, value=heading).font = _TITLE
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=row + 1, column=column, value=text)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP
    return row + 2


def _case_rows(
    sheet: Worksheet, row: int, cases: Sequence[Mapping[str, Any]], formats: Mapping[int, str]
) -> int:
    """One row per case with Caso and NSS filled; returns the row after the last."""
    for case in cases:
        sheet.cell(row=row, column=1, value=case["caso"])
        sheet.cell(row=row, column=2, value=case["nss"])
        for column, number_format in formats.items():
            sheet.cell(row=row, column=column).number_format = number_format
        row += 1
    return row


def _sheet_json(sheet: Worksheet, test_set: Mapping[str, Any]) -> None:
    patron = test_set["patron"]
    _instructions(
        sheet,
        "Respuestas del servicio de avisos",
        (
            "Inserte en esta hoja, como objeto (Insertar › Objeto › Crear desde archivo), un "
            "archivo ZIP con las respuestas JSON que su sistema descargó del servicio de avisos "
            f"para el patrón {patron['razonSocial']} (RFC {patron['rfc']}, NRP {patron['nrp']}).",
            "No modifique las respuestas: su firma electrónica se verifica con la llave pública "
            "enviada con el set de pruebas (llave-publica.pem).",
            "Límites del ZIP: hasta 500 archivos, 20 MiB descomprimidos en total y 2 MiB por "
            "cada archivo JSON, sin carpetas absolutas ni «..».",
        ),
        width=120,
    )


def _sheet_calculos(sheet: Worksheet, test_set: Mapping[str, Any]) -> None:
    row = _instructions(
        sheet,
        "Cálculo de retenciones",
        (
            "Sección (a): para cada caso de muestra escriba una fila por subperiodo; si el caso "
            "tiene más de uno, inserte filas debajo de la del caso y repita su clave y NSS.",
            "Escriba las fechas como fecha o como texto dd/mm/aaaa y los importes en pesos con "
            "dos decimales. Deje vacía la columna del tope cuando no aplique.",
            "El seguro de daños y el total son los del periodo completo: escríbalos en la última "
            "fila del caso.",
            "Sección (b): para cada caso de evaluación escriba solo el total a retener del "
            "periodo.",
        ),
        width=12,
    )
    cases = test_set["casos"]
    muestras = [case for case in cases if case["seccion"] == "muestra"]
    evaluacion = [case for case in cases if case["seccion"] == "evaluacion"]
    row = _table(sheet, row, HEADING_MUESTRAS, HEADERS_MUESTRAS)
    row = _case_rows(sheet, row, muestras, _FORMATS_MUESTRAS)
    row = _table(sheet, row + 2, HEADING_EVALUACION, HEADERS_EVALUACION)
    _case_rows(sheet, row, evaluacion, _FORMATS_EVALUACION)
    sheet.column_dimensions["B"].width = 14
    for letter in "CDEFGHIJKLMN":
        sheet.column_dimensions[letter].width = 13


def _sheet_pantallas(sheet: Worksheet) -> None:
    _instructions(
        sheet,
        "Pantallas del sistema de nómina",
        (
            "Pegue en esta hoja una o más capturas de pantalla (PNG o JPEG) de su sistema de "
            "nómina que muestren la descarga de los avisos y el cálculo de las retenciones de "
            "los casos de muestra.",
        ),
        width=120,
    )


def _sheet_cfdi(sheet: Worksheet, test_set: Mapping[str, Any]) -> None:
    marked = [case for case in test_set["casos"] if case["cfdi"]]
    who = ", ".join(f"{case['caso']} (NSS {case['nss']})" for case in marked)
    _instructions(
        sheet,
        "CFDI de nómina",
        (
            f"Incluya el CFDI 4.0 con complemento de Nómina 1.2 del caso {who}, sin sellar ni "
            "timbrar.",
            "Insértelo como objeto (Insertar › Objeto › Crear desde archivo) o pegue el texto "
            "del XML en la columna A, debajo de estas instrucciones, un documento por celda.",
            "La retención del crédito de vivienda va como deducción con TipoDeduccion 010 y por "
            "el total a retener del caso, seguro de daños incluido.",
        ),
        width=120,
    )


def _reproducible_zip(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            target.writestr(entry, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def build_template(test_set_doc: Mapping[str, Any]) -> bytes:
    """The ``plantilla-evidencias.xlsx`` of a test set (its ``set-de-pruebas.json`` document)."""
    workbook = Workbook()
    sheets = [workbook.active, *(workbook.create_sheet() for _ in SHEET_NAMES[1:])]
    for sheet, name in zip(sheets, SHEET_NAMES, strict=True):
        assert sheet is not None
        sheet.title = name
    _sheet_json(sheets[0], test_set_doc)
    _sheet_calculos(sheets[1], test_set_doc)
    _sheet_pantallas(sheets[2])
    _sheet_cfdi(sheets[3], test_set_doc)

    issued = datetime.fromisoformat(test_set_doc["emitido"]).astimezone(UTC).replace(tzinfo=None)
    workbook.properties.creator = "SIA Certificación"
    workbook.properties.title = f"Evidencias del set de pruebas {test_set_doc['folio']}"
    workbook.properties.created = issued
    workbook.properties.modified = issued
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save() would stamp the current time as "modified".
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return _reproducible_zip(buffer.getvalue())
