"""Malformed XML and JSON are described to the vendor in Spanish, with line and column."""

from __future__ import annotations

import json
import re

import pytest

from evidence.formats.safexml import XmlRejected, parse_xml
from evidence.formats.syntax_errors import json_syntax_error

ENGLISH = re.compile(r"\b(?:expected|expecting|found|not|invalid|tag|end|value)\b", re.I)


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (b"<a><b></a>", "la etiqueta «b» se cierra con otra, en la línea 1, columna 11"),
        (b"<a>\n<b>", "el documento termina antes de tiempo, en la línea 2, columna 4"),
        (b"", "el documento está vacío, en la línea 1, columna 1"),
        (b"hola", "no empieza con una etiqueta XML, en la línea 1, columna 1"),
        (b"<a/><b/>", "hay contenido después del elemento raíz, en la línea 1, columna 5"),
        (b"<a x=1/>", "un atributo no tiene su valor entre comillas, en la línea 1, columna 6"),
        (b"<a>&foo;</a>", "la entidad «&foo;» no existe, en la línea 1, columna 9"),
        (
            b"<a>Ruiz & Cia</a>",
            "hay un «&» suelto (escríbalo como «&amp;»), en la línea 1, columna 10",
        ),
        (b"<a x='1' x='2'/>", "el atributo «x» está repetido, en la línea 1, columna 15"),
        (b"<x:a/>", "el prefijo «x:» de «a» no está declarado, en la línea 1, columna 5"),
        (
            b"<a\xff/>",
            "el texto no está en la codificación que declara (UTF-8), en la línea 1, columna 3",
        ),
        (
            b"<a>\x01</a>",
            "contiene un carácter de control que XML no admite, en la línea 1, columna 4",
        ),
    ],
)
def test_malformed_xml_is_described_in_spanish(xml: bytes, expected: str) -> None:
    with pytest.raises(XmlRejected) as raised:
        parse_xml(xml)
    assert str(raised.value) == f"el XML está mal formado: {expected}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "se esperaba un valor, en la línea 1, columna 1"),
        (
            '{"a": 1,\n "b" 2}',
            "faltan los dos puntos después del nombre de un campo, en la línea 2, columna 6",
        ),
        ('{"a": 1 "b": 2}', "falta una coma entre dos valores, en la línea 1, columna 9"),
        (
            "{a: 1}",
            "se esperaba el nombre de un campo entre comillas dobles, en la línea 1, columna 2",
        ),
        ('"abc', "un texto no cierra sus comillas, en la línea 1, columna 1"),
        ('{"a": "\x01"}', "un texto contiene un carácter de control, en la línea 1, columna 8"),
        (
            '{"a": "\\q"}',
            "un texto contiene una secuencia «\\» no válida, en la línea 1, columna 8",
        ),
        (
            '{"a": "\\u12"}',
            "un «\\u» no va seguido de cuatro dígitos hexadecimales, en la línea 1, columna 9",
        ),
        ("{} x", "hay contenido después del JSON, en la línea 1, columna 4"),
    ],
)
def test_malformed_json_is_described_in_spanish(text: str, expected: str) -> None:
    with pytest.raises(json.JSONDecodeError) as raised:
        json.loads(text)
    described = json_syntax_error(raised.value)
    assert described == expected
    assert not ENGLISH.search(described)
