"""What every email about a relationship says of it (the templates ``relacion_*``)."""

from __future__ import annotations

from typing import Any

from schema import Organization, TrustRelationship


def relationship_context(
    relationship: TrustRelationship, patron: Organization, vendor: Organization
) -> dict[str, Any]:
    return {
        "folio": relationship.folio,
        "razon_social": patron.razon_social,
        "nrp": patron.nrp or "",
        "desarrollador_rfc": vendor.rfc,
        "desarrollador_razon_social": vendor.razon_social,
    }
