"""One valid context per template, with the non-ASCII and HTML-special characters real
names carry (Ñ, accents, &, <)."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

MX = ZoneInfo("America/Mexico_City")
RAZON_SOCIAL = "Nóminas Ñandú & Peña <Sistemas>, S.A. de C.V."
DEADLINE = datetime(2026, 3, 17, 23, 59, 59, tzinfo=MX)
RECEIVED = datetime(2026, 3, 12, 10, 15, tzinfo=MX)
SANDBOX = {
    "url": "http://127.0.0.1:8000/api/v1",
    "rfc": "CAC840428RH1",
    "tiene_contrasena": True,
    "nrp": "Y5412345107",
}
# Shaped like core.tokens.new_password's, with a non-ASCII letter to check the encoding.
SIA_PASSWORD = "Xq7-ñandú_Rt9"
FINDINGS = [
    {"codigo": "T1-NO-ZIP", "mensaje": "La pestaña «1 JSON» no contiene el zip de respuestas."},
    {"codigo": "T3-NO-IMAGE", "mensaje": "La pestaña «3 Pantallas» no tiene imágenes."},
]

# A relación de confianza as the guide's table shows it: registered 07/mar/2024 for one year.
INICIO_VIGENCIA = date(2024, 3, 7)
FIN_VIGENCIA = date(2025, 3, 7)
DESARROLLADOR = {
    "desarrollador_rfc": "CAC840428RH1",
    "desarrollador_razon_social": "Cálculo Ágil & Nómina <Software>, S.C.",
}
# To the patrón: its name is the one every email must carry.
RELACION = {
    "folio": "0501423523",
    "razon_social": RAZON_SOCIAL,
    "nrp": "B7812345103",
    **DESARROLLADOR,
}

SAMPLES: dict[str, dict[str, Any]] = {
    "set_de_pruebas": {
        "folio": "0501423523",
        "ronda": 1,
        "razon_social": RAZON_SOCIAL,
        "fecha_limite": DEADLINE,
        "sandbox": SANDBOX,
    },
    "evidencia_recibida": {
        "folio": "0501423523",
        "ronda": 1,
        "razon_social": RAZON_SOCIAL,
        "archivo": "evidencias señaladas.xlsx",
        "recibida": RECEIVED,
    },
    "evidencia_rechazada": {
        "folio": "0501423523",
        "ronda": 1,
        "razon_social": RAZON_SOCIAL,
        "archivo": "evidencias señaladas.xlsx",
        "recibida": RECEIVED,
        "hallazgos": FINDINGS,
        "fecha_limite": DEADLINE,
        "dias_restantes": 12,
    },
    "inconsistencias": {
        "folio": "0501423523",
        "ronda": 2,
        "razon_social": RAZON_SOCIAL,
        "hallazgos": [{"codigo": "REV", "mensaje": "El caso E03 no incluye la suspensión."}],
        "fecha_limite": datetime(2026, 4, 8, 23, 59, 59, tzinfo=MX),
        "dias_habiles": 10,
        "sandbox": {**SANDBOX, "tiene_contrasena": False, "patron_password": "patrón-Ñ1"},
    },
    "solicitud_certificacion": {
        "folio": "0501423523",
        "razon_social": RAZON_SOCIAL,
        "rfc": "CAC840428RH1",
        "solicitada": RECEIVED,
    },
    "aprobacion": {"folio": "0501423523", "razon_social": RAZON_SOCIAL},
    "certificacion": {
        "folio": "0501423523",
        "razon_social": RAZON_SOCIAL,
        "rfc": "CAC840428RH1",
        "certificada": RECEIVED,
    },
    "cancelacion": {"folio": "0501423523", "razon_social": RAZON_SOCIAL, "cancelada": RECEIVED},
    "vencimiento": {
        "folio": "0501423523",
        "ronda": 1,
        "razon_social": RAZON_SOCIAL,
        "fecha_limite": DEADLINE,
    },
    "recordatorio_plazo": {
        "folio": "0501423523",
        "ronda": 1,
        "razon_social": RAZON_SOCIAL,
        "dias_restantes": 3,
        "fecha_limite": DEADLINE,
    },
    "alerta_sla_revision": {
        "certificaciones": [
            {
                "folio": "0501423523",
                "ronda": 1,
                "razon_social": RAZON_SOCIAL,
                "evidencia_recibida": RECEIVED,
                "fecha_limite_revision": datetime(2026, 3, 20, 23, 59, 59, tzinfo=MX),
                "revisor": "José Núñez",
            },
            {
                "folio": "0501423524",
                "ronda": 2,
                "razon_social": "Cálculo Ágil, S.C.",
                "evidencia_recibida": RECEIVED,
                "fecha_limite_revision": datetime(2026, 3, 20, 23, 59, 59, tzinfo=MX),
                "revisor": None,
            },
        ]
    },
    "cuenta_confirmacion": {
        "razon_social": RAZON_SOCIAL,
        "rfc": "CAC840428RH1",
        "enlace": "http://127.0.0.1:8000/portal/confirmar?token=abc.DEF-123&origen=registro",
        "vence": DEADLINE,
    },
    "contrasena_generada": {
        "folio": "0501423523",
        "rfc": "CAC840428RH1",
        "razon_social": RAZON_SOCIAL,
        "generada": RECEIVED,
        "sia": {"password": SIA_PASSWORD},
    },
    "contrasena_recuperada": {
        "rfc": "CAC840428RH1",
        "razon_social": RAZON_SOCIAL,
        "recuperada": RECEIVED,
        "sia": {"password": SIA_PASSWORD},
    },
    "contrasena_cancelada": {
        "rfc": "CAC840428RH1",
        "razon_social": RAZON_SOCIAL,
        "cancelada": RECEIVED,
    },
    "relacion_vigente": {
        **RELACION,
        "servicio": "Avisos",
        "inicio_vigencia": INICIO_VIGENCIA,
        "fin_vigencia": FIN_VIGENCIA,
    },
    "relacion_cancelada": {**RELACION, "cancelada": RECEIVED},
    "relacion_por_vencer": {**RELACION, "fin_vigencia": FIN_VIGENCIA, "dias": 15},
    "relacion_no_vigente": {**RELACION, "fin_vigencia": FIN_VIGENCIA},
    "relacion_sin_efecto": {**RELACION, "fecha": RECEIVED},
    "relacion_no_procedente": {**RELACION},
    "relacion_nueva_desarrollador": {
        "folio": "0501423523",
        "razon_social": RAZON_SOCIAL,  # the vendor's
        "patron_rfc": "PME380607P35",
        "patron_nrp": "B7812345103",
        "patron_razon_social": "Constructora Peñasco & Hijos <Norte>, S.A. de C.V.",
        "servicio": "Avisos",
        "inicio_vigencia": INICIO_VIGENCIA,
        "fin_vigencia": FIN_VIGENCIA,
    },
}
