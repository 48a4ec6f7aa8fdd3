"""What lxml and the json module say about a malformed document, said in Spanish.

Both word their errors in English from a small fixed set; the vendor reads which mistake it is and
where (line and column), never the English. A message of no known form is still placed by line
and column.
"""

from __future__ import annotations

import json
import re

from lxml import etree

# (what lxml's message says, the Spanish for it with the message's groups); the first match wins.
_XML_TEXTS = [
    (r"Opening and ending tag mismatch: (\S+)", "la etiqueta «{0}» se cierra con otra"),
    (r"Premature end of data|EndTag: '</' not found", "el documento termina antes de tiempo"),
    (r"Couldn't find end of Start Tag (\S+)", "la etiqueta «{0}» no se cierra"),
    (r"Document is empty", "el documento está vacío"),
    (r"Start tag expected", "no empieza con una etiqueta XML"),
    (r"Extra content at the end", "hay contenido después del elemento raíz"),
    (r"AttValue: \" or ' expected", "un atributo no tiene su valor entre comillas"),
    (r"Specification mandates value for attribute (\S+)", "el atributo «{0}» no tiene valor"),
    (r"Attribute (\S+) redefined", "el atributo «{0}» está repetido"),
    (r"Entity '([^']*)' not defined", "la entidad «&{0};» no existe"),
    (r"xmlParseEntityRef: no name", "hay un «&» suelto (escríbalo como «&amp;»)"),
    (
        r"Namespace prefix (\S+) on (\S+) is not defined",
        "el prefijo «{0}:» de «{1}» no está declarado",
    ),
    (r"StartTag: invalid element name", "un nombre de etiqueta no es válido"),
    (
        r"Invalid bytes in character encoding|Input is not proper UTF-8",
        "el texto no está en la codificación que declara (UTF-8)",
    ),
    (
        r"(?:PCDATA|CData) invalid Char value|invalid character in attribute",
        "contiene un carácter de control que XML no admite",
    ),
    (r"Unsupported encoding (\S+)", "declara la codificación «{0}», que no se admite"),
]
_XML = [(re.compile(pattern), spanish) for pattern, spanish in _XML_TEXTS]

_JSON: list[tuple[str, str]] = [
    ("Expecting value", "se esperaba un valor"),
    ("Expecting property name", "se esperaba el nombre de un campo entre comillas dobles"),
    ("Expecting ':' delimiter", "faltan los dos puntos después del nombre de un campo"),
    ("Expecting ',' delimiter", "falta una coma entre dos valores"),
    ("Unterminated string", "un texto no cierra sus comillas"),
    ("Invalid control character", "un texto contiene un carácter de control"),
    ("Invalid \\uXXXX escape", "un «\\u» no va seguido de cuatro dígitos hexadecimales"),
    ("Invalid \\escape", "un texto contiene una secuencia «\\» no válida"),
    ("Extra data", "hay contenido después del JSON"),
    ("Illegal trailing comma", "sobra una coma antes del cierre"),
]


def _where(line: int, column: int) -> str:
    return f"en la línea {line}, columna {column}"


def xml_syntax_error(exc: etree.XMLSyntaxError) -> str:
    """``exc`` as «<what>, en la línea L, columna C»."""
    line, column = exc.position
    message = exc.msg or ""
    for pattern, spanish in _XML:
        found = pattern.search(message)
        if found:
            return f"{spanish.format(*found.groups())}, {_where(line, column)}"
    return f"hay un error de sintaxis {_where(line, column)}"


def json_syntax_error(exc: json.JSONDecodeError) -> str:
    """``exc`` as «<what>, en la línea L, columna C»."""
    what = next(
        (spanish for start, spanish in _JSON if exc.msg.startswith(start)),
        "hay un error de sintaxis",
    )
    return f"{what}, {_where(exc.lineno, exc.colno)}"
