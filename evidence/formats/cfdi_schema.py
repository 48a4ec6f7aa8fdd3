"""Validation of an unsigned CFDI 4.0 with Nómina 1.2 against SAT's XSDs, offline (DOMAIN §10).

The XSDs live in ``evidence/formats/xsd`` (see its README). Their imports name SAT's folder layout
(``../catalogos/catCFDI.xsd``); a resolver maps each one by file name to that folder and refuses
anything else, and the parser has the network off, so compiling the schema never leaves the disk.

SAT's schema demands ``Sello``, ``NoCertificado`` (20 digits) and ``Certificado`` on every
Comprobante, but the evidence CFDI is unsigned by design. So a *copy* is validated in which each
of those three attributes that is empty or absent holds a placeholder the schema accepts (empty
text, or twenty zeros for NoCertificado). An attribute the vendor did fill is validated as given,
and nothing else of the document is touched.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from evidence.formats.schema_messages import spanish

XSD_DIR = Path(__file__).resolve().parent / "xsd"

CFDI_NS = "http://www.sat.gob.mx/cfd/4"
NOMINA_NS = "http://www.sat.gob.mx/nomina12"
TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"

# The seal attributes an unsigned CFDI leaves empty, with a value the XSD accepts in their place.
SEAL_PLACEHOLDERS = {"Sello": "", "NoCertificado": "0" * 20, "Certificado": ""}

_SCHEMA_FILES = frozenset(
    {
        "cfdv40.xsd",
        "catCFDI.xsd",
        "tdCFDI.xsd",
        "nomina12.xsd",
        "catNomina.xsd",
        "TimbreFiscalDigitalv11.xsd",
    }
)
# One schema for the three namespaces a nómina CFDI may hold: the Complemento is an xs:any with
# strict processing, so the complements are validated only when their schema is known.
_ROOT_SCHEMA = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:import namespace="{CFDI_NS}" schemaLocation="cfdv40.xsd"/>
<xs:import namespace="{NOMINA_NS}" schemaLocation="nomina12.xsd"/>
<xs:import namespace="{TFD_NS}" schemaLocation="TimbreFiscalDigitalv11.xsd"/>
</xs:schema>""".encode()
# How the vendor writes each namespace in its CFDI, for naming elements in messages.
_PREFIXES = {CFDI_NS: "cfdi", NOMINA_NS: "nomina12", TFD_NS: "tfd"}


class _LocalSchemas(etree.Resolver):  # type: ignore[misc]
    def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
        name = url.replace("\\", "/").rsplit("/", 1)[-1]
        if name not in _SCHEMA_FILES:
            raise LookupError(f"schema import outside evidence/formats/xsd: {url}")
        return self.resolve_filename(str(XSD_DIR / name), context)


@functools.cache
def cfdi_schema() -> Any:
    """The compiled schema (about 0.2 s, once per process: catCFDI.xsd is 5 MB)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalSchemas())
    root = etree.fromstring(_ROOT_SCHEMA, parser, base_url=str(XSD_DIR / "cfdi-nomina.xsd"))
    return etree.XMLSchema(root)


@dataclass(frozen=True)
class SchemaViolation:
    line: int
    message: str  # in Spanish

    def __str__(self) -> str:
        return f"línea {self.line}: {self.message}"


def with_seal_placeholders(root: Any) -> Any:
    """A copy of ``root`` whose empty or absent seal attributes hold schema-valid placeholders."""
    candidate = copy.deepcopy(root)
    if candidate.tag == f"{{{CFDI_NS}}}Comprobante":
        for name, placeholder in SEAL_PLACEHOLDERS.items():
            if not (candidate.get(name) or "").strip():
                candidate.set(name, placeholder)
    return candidate


def schema_violations(root: Any) -> list[SchemaViolation]:
    """What SAT's XSDs reject in the (unsigned) CFDI ``root``; empty when it is valid."""
    schema = cfdi_schema()
    if schema.validate(with_seal_placeholders(root)):
        return []
    return [
        SchemaViolation(error.line, spanish(error.message, _PREFIXES)) for error in schema.error_log
    ]
