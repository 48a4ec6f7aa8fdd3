"""§6 input objects for the retention tests: avisos (§5 objects) and cases."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

NSS = "12345678901"
_CLAVES = {"RETENCION": "01", "MODIFICACION": "04", "SUSPENSION": "06"}


def aviso(
    clase: str = "RETENCION",
    *,
    inicio: str | None = None,
    fin: str | None = None,
    tipo: int | None = 2,
    valor: str | None = "2450.00",
    folio: str = "0501400001",
    fecha_aviso: str | None = None,
    clave: str | None = None,
    nss: str = NSS,
    credito: str | None = "1234567890",
) -> dict[str, Any]:
    """A §5 aviso object; effective date is ``inicio`` (or ``fin`` for a SUSPENSION)."""
    suspension = clase == "SUSPENSION"
    effective = fin if suspension else inicio
    assert effective is not None
    return {
        "folio": folio,
        "fechaAviso": fecha_aviso or effective,
        "tipoAviso": {"clave": clave or _CLAVES[clase], "descripcion": "…", "clase": clase},
        "nss": nss,
        "rfc": "PEPJ800101AB1",
        "curp": "PEPJ800101HDFRRN09",
        "nombre": "JUAN PEREZ PEREZ",
        "numeroCredito": credito,
        "tipoDescuento": None if suspension else tipo,
        "valorDescuento": None if suspension else valor,
        "fechaInicioDescuento": None if suspension else inicio,
        "fechaFin": fin if suspension else None,
    }


def case(
    desde: str,
    hasta: str,
    avisos: Iterable[dict[str, Any]],
    *,
    sbc: str = "500.00",
    salario: str = "450.00",
    zona: str = "general",
    ausencias: Iterable[str] = (),
    incapacidades: Iterable[str] = (),
) -> dict[str, Any]:
    """A §6 input object."""
    return {
        "periodo": {"desde": desde, "hasta": hasta},
        "trabajador": {"sbc": sbc, "salarioDiario": salario, "zona": zona},
        "avisos": list(avisos),
        "ausencias": list(ausencias),
        "incapacidades": list(incapacidades),
    }


def fixed(valor: str, since: str, **kwargs: Any) -> dict[str, Any]:
    """A cuota fija (tipo 2) credit active since ``since``."""
    return aviso(inicio=since, tipo=2, valor=valor, **kwargs)
