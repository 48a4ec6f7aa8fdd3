"""Tab 4 checks: each CFDI is an unsigned, schema-valid CFDI 4.0 de nómina whose housing-credit
deduction is the marked case's total (DOMAIN §10).

Every document of the tab is checked the same way, against the case marked ``"cfdi": true``.
Where DOMAIN is silent: a CFDI that is not a nómina (no Nómina 1.2 complement, or a
TipoDeComprobante other than N) is a ``T4-SCHEMA`` finding and is not checked further; a receptor
NSS that names another worker of the set than the marked case's is a ``T4-UNKNOWN-WORKER`` too
(the CFDI is not the one asked for); deductions of type 005 are each a ``T4-DEDUCTION-TYPE``, and
``T4-NO-DEDUCTION`` is kept for a CFDI with no housing deduction of any type.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from evidence.checks.amounts import parse_decimal, same_amount, shown
from evidence.checks.round import Round
from evidence.findings import Code, Finding, finding
from evidence.formats.cfdi_schema import CFDI_NS, NOMINA_NS, TFD_NS, schema_violations
from evidence.formats.safexml import parse_xml
from evidence.tabs.cfdi import CfdiDocument, CfdiTab, of_source

TAB = 4
HOUSING_TYPES = ("010", "009")  # 010 Pago por crédito de vivienda; 009 accepted (Decision, §10)
EMPLOYER_TYPE = "005"  # aportaciones a fondo de vivienda: the employer's, not the worker's credit
TAXES_TYPE = "002"  # ISR: TotalImpuestosRetenidos adds these, TotalOtrasDeducciones the rest
_SCHEMA_LINES = 10

_COMPROBANTE = f"{{{CFDI_NS}}}Comprobante"
_NOMINA_PATH = f"{{{CFDI_NS}}}Complemento/{{{NOMINA_NS}}}Nomina"
_DEDUCCION_PATH = f"{{{NOMINA_NS}}}Deducciones/{{{NOMINA_NS}}}Deduccion"
_SEAL = ("Sello", "NoCertificado", "Certificado")


class _Document:
    """One CFDI being checked: its parsed tree and the findings gathered about it."""

    def __init__(self, document: CfdiDocument) -> None:
        self.source = document.source
        self.root: Any = parse_xml(document.xml)  # the reader has already parsed it once
        self.findings: list[Finding] = []

    def add(
        self,
        code: Code,
        message: str,
        *,
        case: str | None = None,
        expected: str | None = None,
        actual: str | None = None,
    ) -> None:
        self.findings.append(
            finding(
                code,
                f"El CFDI {of_source(self.source)} {message}",
                tab=TAB,
                case=case,
                expected=expected,
                actual=actual,
            )
        )


def _check_signed(doc: _Document) -> None:
    sealed = [name for name in _SEAL if (doc.root.get(name) or "").strip()]
    stamped = next(doc.root.iter(f"{{{TFD_NS}}}TimbreFiscalDigital"), None) is not None
    if not (sealed or stamped):
        return
    what = []
    if sealed:
        what.append(f"sellado ({', '.join(sealed)} con valor)")
    if stamped:
        what.append("timbrado (TimbreFiscalDigital)")
    doc.add(
        Code.T4_SIGNED,
        f"está {' y '.join(what)}; se pidió sin sellar ni timbrar.",
        expected="sin sellar ni timbrar",
    )


def _check_schema(doc: _Document) -> None:
    violations = schema_violations(doc.root)
    if not violations:
        return
    listed = "; ".join(str(v) for v in violations[:_SCHEMA_LINES])
    more = len(violations) - _SCHEMA_LINES
    doc.add(
        Code.T4_SCHEMA,
        f"no cumple los esquemas XSD del SAT (CFDI 4.0 y Nómina 1.2): {listed}"
        + (f"; y {more} error(es) más." if more > 0 else "."),
        actual=str(violations[0]),
    )


def _is_cfdi_40(doc: _Document) -> bool:
    tag = doc.root.tag
    if tag == _COMPROBANTE:
        return True
    doc.add(
        Code.T4_SCHEMA,
        f"no es un CFDI 4.0: su elemento raíz es «{tag}», no Comprobante del espacio de nombres "
        f"{CFDI_NS}.",
        expected=_COMPROBANTE,
        actual=str(tag),
    )
    return False


def _nomina_elements(doc: _Document) -> list[Any]:
    """The Nómina complements, or none (with the finding) when this is no CFDI de nómina."""
    root = doc.root
    nominas: list[Any] = root.findall(_NOMINA_PATH)
    tipo = root.get("TipoDeComprobante")
    if tipo != "N" or not nominas:
        doc.add(
            Code.T4_SCHEMA,
            "no es un CFDI de nómina: debe ser TipoDeComprobante «N» con el complemento "
            f"Nómina 1.2 (TipoDeComprobante «{tipo}», {len(nominas)} complemento(s) de nómina).",
            expected="N",
            actual=str(tipo),
        )
        return []
    return nominas


def _check_worker(doc: _Document, nominas: list[Any], round_: Round) -> None:
    marked = round_.cfdi_case
    for nomina in nominas:
        receptor = nomina.find(f"{{{NOMINA_NS}}}Receptor")
        nss = (receptor.get("NumSeguridadSocial") or "").strip() if receptor is not None else ""
        case = round_.case_of_worker(nss)
        expected = marked.nss if marked else None
        if not nss:
            doc.add(
                Code.T4_UNKNOWN_WORKER,
                "no indica el NumSeguridadSocial del receptor.",
                expected=expected,
            )
        elif case is None:
            doc.add(
                Code.T4_UNKNOWN_WORKER,
                f"es del NSS {nss}, que no es de ningún trabajador del set de pruebas.",
                expected=expected,
                actual=nss,
            )
        elif marked is not None and case is not marked:
            doc.add(
                Code.T4_UNKNOWN_WORKER,
                f"es del trabajador del caso {case.caso} (NSS {nss}), pero se pidió el del caso "
                f"{marked.caso} (NSS {marked.nss}).",
                case=marked.caso,
                expected=marked.nss,
                actual=nss,
            )


def _tipo(deduction: Any) -> str:
    # The catalog type collapses whitespace, so " 010 " is a valid 010.
    return str(deduction.get("TipoDeduccion") or "").strip()


def _check_deductions(doc: _Document, deductions: list[Any], round_: Round) -> None:
    housing = [d for d in deductions if _tipo(d) in HOUSING_TYPES]
    for deduction in deductions:
        if _tipo(deduction) == EMPLOYER_TYPE:
            doc.add(
                Code.T4_DEDUCTION_TYPE,
                f"declara la deducción «{deduction.get('Concepto')}» ({deduction.get('Importe')}) "
                "con TipoDeduccion 005, que es la aportación patronal al fondo de vivienda; el "
                "descuento del crédito del trabajador va con TipoDeduccion 010.",
                expected="010",
                actual=EMPLOYER_TYPE,
            )
    if not housing:
        if not any(_tipo(d) == EMPLOYER_TYPE for d in deductions):
            doc.add(
                Code.T4_NO_DEDUCTION,
                "no tiene la deducción del crédito de vivienda (nomina12:Deduccion con "
                "TipoDeduccion 010).",
                expected="010",
            )
        return
    marked = round_.cfdi_case
    amounts = [parse_decimal(d.get("Importe")) for d in housing]
    if marked is None or None in amounts:
        return  # an unreadable Importe is a schema violation, reported as such
    total = sum((a for a in amounts if a is not None), Decimal(0))
    if not same_amount(total, marked.total):
        doc.add(
            Code.T4_AMOUNT_MISMATCH,
            f"retiene {shown(total)} por el crédito de vivienda, pero el total a retener del "
            f"caso {marked.caso} es {shown(marked.total)}.",
            case=marked.caso,
            expected=shown(marked.total),
            actual=shown(total),
        )


def _declared_total(
    doc: _Document, element: Any, attribute: str, computed: Decimal, what: str
) -> None:
    """``attribute`` of ``element`` must state ``computed``; it may be absent only when zero."""
    text = element.get(attribute)
    declared = parse_decimal(text)
    if text is None and computed == 0:
        return
    if text is not None and declared is None:
        return  # not a number: the schema says so
    if declared is None or not same_amount(declared, computed):
        doc.add(
            Code.T4_TOTALS,
            f"declara {attribute} {shown(declared) if text is not None else 'ausente'}, pero "
            f"{what} suman {shown(computed)}.",
            expected=shown(computed),
            actual=shown(declared),
        )


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


def _check_totals(doc: _Document, nominas: list[Any]) -> None:
    all_deductions = Decimal(0)
    for nomina in nominas:
        deductions = nomina.findall(_DEDUCCION_PATH)
        amounts = [(_tipo(d), parse_decimal(d.get("Importe"))) for d in deductions]
        if any(amount is None for _, amount in amounts):
            return  # an unreadable Importe is a schema violation, reported as such
        taxes = _sum(a for t, a in amounts if a is not None and t == TAXES_TYPE)
        others = _sum(a for t, a in amounts if a is not None and t != TAXES_TYPE)
        group = nomina.find(f"{{{NOMINA_NS}}}Deducciones")
        if group is not None:
            _declared_total(
                doc, group, "TotalOtrasDeducciones", others, "las deducciones distintas de 002"
            )
            _declared_total(
                doc, group, "TotalImpuestosRetenidos", taxes, "las deducciones de tipo 002 (ISR)"
            )
        _declared_total(doc, nomina, "TotalDeducciones", taxes + others, "sus deducciones")
        all_deductions += taxes + others
    _declared_total(
        doc, doc.root, "Descuento", all_deductions, "las deducciones del complemento de nómina"
    )


def _check_document(document: CfdiDocument, round_: Round) -> list[Finding]:
    doc = _Document(document)
    if not _is_cfdi_40(doc):
        return doc.findings
    _check_signed(doc)
    _check_schema(doc)
    nominas = _nomina_elements(doc)
    if nominas:
        _check_worker(doc, nominas, round_)
        deductions = [d for nomina in nominas for d in nomina.findall(_DEDUCCION_PATH)]
        _check_deductions(doc, deductions, round_)
        _check_totals(doc, nominas)
    return doc.findings


def check_cfdi_tab(tab: CfdiTab, round_: Round) -> list[Finding]:
    """T4 findings of every CFDI read from tab 4."""
    return [found for document in tab.documents for found in _check_document(document, round_)]
