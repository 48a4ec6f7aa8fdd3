"""The sandbox avisos service (DOMAIN §5): session request, token, and the signed response."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from review.inputs import Text

# The credentials are Text, not str: a control character is refused here, before anything
# reaches the database.


class CredencialDesarrollador(BaseModel):
    rfc: Text = Field(
        min_length=12,
        max_length=13,
        examples=["CAC840428RH1"],
        description="RFC del desarrollador (persona moral o física).",
    )
    password: Text = Field(min_length=1, max_length=200, description="Su contraseña SIA.")


class CredencialPatron(BaseModel):
    nrp: Text = Field(
        min_length=11,
        max_length=11,
        examples=["Y5412345107"],
        description="Registro patronal del patrón ficticio de su set de pruebas.",
    )
    password: Text = Field(
        min_length=1, max_length=200, description="Contraseña del patrón, enviada con el set."
    )


class SolicitudSesion(BaseModel):
    """Las dos credenciales a la vez, como en producción."""

    desarrollador: CredencialDesarrollador
    patron: CredencialPatron


class Sesion(BaseModel):
    token: str = Field(description="Envíelo en el encabezado «Authorization: Bearer <token>».")
    tipo: str = Field(default="Bearer", description="Tipo de token; siempre «Bearer».")
    expiraEn: int = Field(description="Segundos de vigencia del token", examples=[900])


class TipoAviso(BaseModel):
    clave: str = Field(description="Clave del catálogo de avisos.", examples=["01"])
    descripcion: str = Field(
        description="Descripción de la clave.", examples=["Inicio de descuento"]
    )
    clase: Literal["RETENCION", "MODIFICACION", "SUSPENSION"] = Field(
        description="La clase decide las reglas: solo RETENCION activa el descuento."
    )


class Aviso(BaseModel):
    """Un aviso de retención, modificación o suspensión; los campos que no aplican a su clase
    van en null."""

    folio: str = Field(description="Folio del aviso.", examples=["0501423523"])
    fechaAviso: date = Field(description="Fecha en que se emitió el aviso.")
    tipoAviso: TipoAviso
    nss: str = Field(description="Número de seguridad social del trabajador.")
    rfc: str = Field(description="RFC del trabajador.")
    curp: str = Field(description="CURP del trabajador.")
    nombre: str = Field(description="Nombre completo del trabajador.")
    numeroCredito: str | None = Field(description="Número de crédito INFONAVIT.")
    tipoDescuento: Literal[1, 2, 3] | None = Field(
        description="1 porcentaje, 2 cuota fija en pesos (mensual), 3 cuota fija en VSM; "
        "null en una SUSPENSION."
    )
    valorDescuento: str | None = Field(
        description="Decimal como texto: 2 decimales para los tipos 1 y 2, 4 para el 3.",
        examples=["2450.00"],
    )
    fechaInicioDescuento: date | None = Field(
        description="Desde cuándo aplica el descuento (RETENCION y MODIFICACION)."
    )
    fechaFin: date | None = Field(
        description="Desde cuándo deja de descontarse (SUSPENSION); ese día ya no se descuenta."
    )


class RespuestaAvisos(BaseModel):
    """Respuesta firmada del servicio de avisos (formato v1 del proyecto)."""

    version: str = Field(description="Versión del formato de la respuesta.", examples=["1.0"])
    folioConsulta: str = Field(description="Folio de esta consulta.", examples=["0501423600"])
    registroPatronal: str = Field(description="NRP del patrón consultado.")
    generado: datetime = Field(
        description="Cuándo se generó la respuesta (ISO 8601).",
        examples=["2026-03-02T10:00:00-06:00"],
    )
    desde: date = Field(description="Inicio de la ventana consultada.")
    hasta: date = Field(description="Fin de la ventana consultada.")
    avisos: list[Aviso] = Field(description="Avisos fechados dentro de la ventana.")
    firma: str = Field(
        description="Firma Ed25519 en base64 sobre la forma canónica del documento sin «firma» "
        "(claves ordenadas, sin espacios, UTF-8); verifíquela con GET /api/v1/llave-publica."
    )
