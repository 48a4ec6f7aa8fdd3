"""libxml2's XML Schema validation errors, told in Spanish for the vendor.

libxml2 words its errors in English from a fixed set of templates; each one names the element,
often the attribute and the offending value, and the limit that was broken. Those pieces are
read from the message and put in a Spanish sentence. A message of no known form still gets a
Spanish sentence naming the element, so the vendor never reads English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_VALUE_MAX_CHARS = 60
_EXPECTED_SHOWN = 3

_HEAD = re.compile(
    r"^Element '(?P<element>[^']*)'(?:, attribute '(?P<attribute>[^']*)')?: (?P<rest>.*)$", re.S
)
_CLARK = re.compile(r"\{(?P<ns>[^}]*)\}(?P<local>.*)")
_LISTED = re.compile(r"\{[^}]*\}[^\s,)]+|[^\s,(){}]+")

_VALUE = r"The value '(?P<value>.*)'"
# What libxml2 says after "Element '…'[, attribute '…']: ", and the Spanish for it. {subject} is
# the attribute of the element, or the element; {value}, {n} ({chars} with its unit), {type} and
# {names} come from the message.
_TEMPLATES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(rf"\[facet 'pattern'\] {_VALUE} is not accepted by", re.S),
        "{subject} tiene el valor {value}, que no tiene el formato que exige el SAT",
    ),
    (
        re.compile(rf"\[facet 'enumeration'\] {_VALUE} is not an element of", re.S),
        "{subject} tiene el valor {value}, que no está en el catálogo del SAT",
    ),
    (
        re.compile(rf"\[facet 'minLength'\] {_VALUE} has a length .*'(?P<n>\d+)'", re.S),
        "{subject} tiene el valor {value}, más corto que el mínimo de {chars}",
    ),
    (
        re.compile(rf"\[facet 'maxLength'\] {_VALUE} has a length .*'(?P<n>\d+)'", re.S),
        "{subject} tiene el valor {value}, más largo que el máximo de {chars}",
    ),
    (
        re.compile(rf"\[facet 'length'\] {_VALUE} has a length .*'(?P<n>\d+)'", re.S),
        "{subject} tiene el valor {value}, que debe tener exactamente {chars}",
    ),
    (
        re.compile(rf"\[facet 'minInclusive'\] {_VALUE} is less than .*\('(?P<n>[^']*)'\)", re.S),
        "{subject} tiene el valor {value}, menor que el mínimo permitido ({n})",
    ),
    (
        re.compile(
            rf"\[facet 'maxInclusive'\] {_VALUE} is greater than .*\('(?P<n>[^']*)'\)", re.S
        ),
        "{subject} tiene el valor {value}, mayor que el máximo permitido ({n})",
    ),
    (
        re.compile(rf"\[facet 'minExclusive'\] {_VALUE} must be greater than '(?P<n>[^']*)'", re.S),
        "{subject} tiene el valor {value}; debe ser mayor que {n}",
    ),
    (
        re.compile(rf"\[facet 'maxExclusive'\] {_VALUE} must be less than '(?P<n>[^']*)'", re.S),
        "{subject} tiene el valor {value}; debe ser menor que {n}",
    ),
    (
        re.compile(rf"\[facet 'totalDigits'\] {_VALUE} has more digits .*\('(?P<n>\d+)'\)", re.S),
        "{subject} tiene el valor {value}, con más de {n} dígitos",
    ),
    (
        re.compile(
            rf"\[facet 'fractionDigits'\] {_VALUE} has more fractional .*\('(?P<n>\d+)'\)", re.S
        ),
        "{subject} tiene el valor {value}, con más de {n} decimales",
    ),
    (
        re.compile(r"^'(?P<value>.*)' is not a valid value of the .*type '(?P<type>[^']*)'", re.S),
        "{subject} tiene el valor {value}, que no es válido para el tipo {type}",
    ),
    (
        re.compile(r"^'(?P<value>.*)' is not a valid value of the ", re.S),
        "{subject} tiene el valor {value}, que no es válido",
    ),
    (
        re.compile(r"The attribute '(?P<name>[^']*)' is required but missing"),
        "a {element} le falta el atributo obligatorio «{name}»",
    ),
    (
        re.compile(r"The attribute '(?P<name>[^']*)' is not allowed"),
        "{element} no admite el atributo «{name}»",
    ),
    (
        re.compile(
            r"This element is not expected\. Expected is (?:one of )?(?P<names>\(.*\))", re.S
        ),
        "el elemento {element} no va en ese lugar; se esperaba {names}",
    ),
    (re.compile(r"This element is not expected"), "el elemento {element} no va en ese lugar"),
    (
        re.compile(r"Missing child element\(s\)\. Expected is (?:one of )?(?P<names>\(.*\))", re.S),
        "a {element} le falta el elemento {names}",
    ),
    (
        re.compile(r"Character content (?:other than whitespace )?is not allowed"),
        "{element} no admite texto, solo atributos o elementos",
    ),
    (re.compile(r"Element content is not allowed"), "{element} no admite elementos dentro"),
    (
        re.compile(r"No matching global declaration available for the validation root"),
        "el elemento raíz {element} no es un Comprobante de CFDI 4.0",
    ),
]


class _Names:
    """How the pieces of one message are shown, given the prefixes of known namespaces."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = prefixes

    def qualified(self, name: str) -> str:
        """``{ns}Local`` as ``cfdi:Local`` for a known namespace, the local name otherwise."""
        clark = _CLARK.fullmatch(name)
        if not clark:
            return name
        prefix = self.prefixes.get(clark["ns"])
        return f"{prefix}:{clark['local']}" if prefix else clark["local"]

    def listed(self, names: str) -> str:
        """«a», «b» o «c» from libxml2's ``( {ns}a, {ns}b, {ns}c )``, shortened past a few."""
        found = [f"«{self.qualified(name)}»" for name in _LISTED.findall(names)]
        if len(found) > _EXPECTED_SHOWN:
            more = len(found) - _EXPECTED_SHOWN
            return ", ".join(found[:_EXPECTED_SHOWN]) + f" u otro de {more} más"
        return found[0] if len(found) == 1 else ", ".join(found[:-1]) + f" o {found[-1]}"

    def fields(self, match: re.Match[str]) -> dict[str, str]:
        shown = {}
        for key, text in match.groupdict().items():
            if key == "value":
                clipped = (
                    text if len(text) <= _VALUE_MAX_CHARS else text[: _VALUE_MAX_CHARS - 1] + "…"
                )
                shown[key] = f"«{clipped}»"
            elif key == "type":
                shown[key] = f"«{self.qualified(text)}»"
            elif key == "names":
                shown[key] = self.listed(text)
            else:
                shown[key] = text
        if "n" in shown:
            shown["chars"] = "1 carácter" if shown["n"] == "1" else f"{shown['n']} caracteres"
        return shown


def spanish(message: str, prefixes: Mapping[str, str]) -> str:
    """libxml2's schema error ``message`` as a Spanish phrase (no final period).

    ``prefixes`` maps namespaces to the prefixes the vendor knows them by (``cfdi``).
    """
    names = _Names(prefixes)
    head = _HEAD.match(message.strip())
    if not head:
        return "el documento no cumple el esquema del SAT"
    element = f"«{names.qualified(head['element'])}»"
    attribute = head["attribute"]
    subject = f"el atributo «{attribute}» de {element}" if attribute else element
    for pattern, template in _TEMPLATES:
        found = pattern.search(head["rest"])
        if found:
            return template.format(subject=subject, element=element, **names.fields(found))
    return f"{subject} no cumple el esquema del SAT"
