"""Signed receipts: the cadena original, the PDF (readable back, verifiable, deterministic) and
its storage as a Document."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pypdf
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import config
from core.config import Settings
from efirma.signing import SignedCadena, sign_with_efirma, verify_sello
from efirma.trust import TrustStore, load_trust_store
from schema import Document, DocumentKind, Organization, OrganizationKind
from tests.efirma.factory import COMPANY_NAME, COMPANY_RFC, NOW, PASSWORD, Lab
from workflow.acuses import (
    Acuse,
    acuse_bytes,
    cadena_original,
    issue_acuse,
    pdf_text,
    render_acuse_pdf,
)
from workflow.folios import issue_folio

FOLIO = "0500000123"
ISSUED_AT = datetime(2026, 12, 7, 16, 31, 5, tzinfo=UTC)  # 10:31:05 in Mexico City
TITLE = "Responsiva de generación de contraseña"
TERMS = (
    "Acepto que la contraseña del SIA es personal e intransferible y que soy responsable de su "
    "uso y resguardo.",
    "Reconozco que la firma electrónica avanzada (e.firma) con la que firmo esta responsiva "
    "produce los mismos efectos que mi firma autógrafa.",
)
NRP = "Y5412345107"


# --- cadena original ---------------------------------------------------------------------------


def test_cadena_original_is_values_between_double_pipes() -> None:
    assert cadena_original(["0500000001", COMPANY_RFC, "Generación de contraseña"]) == (
        "||0500000001|AAA010101AAA|Generación de contraseña||"
    )
    assert cadena_original(["a", "", "c"]) == "||a||c||"


def test_cadena_original_trims_and_collapses_whitespace() -> None:
    values = ["  ACCEM   SERVICIOS\tEMPRESARIALES\n SC  ", "\u00a0x\u00a0 y "]
    assert cadena_original(values) == "||ACCEM SERVICIOS EMPRESARIALES SC|x y||"


def test_a_pipe_inside_a_value_cannot_forge_a_field() -> None:
    values = ["ACME|AAA010101AAA", "||", " | a | "]
    cadena = cadena_original(values)
    assert cadena == "||ACME/AAA010101AAA|//|/ a /||"
    assert len(cadena[2:-2].split("|")) == len(values)


def test_cadena_original_keeps_unicode() -> None:
    value = "Señales “Ñandú” — S.A. 🚀 Ångström"
    assert cadena_original([value]) == f"||{value}||"


# --- the text the core fonts can print ---------------------------------------------------------


def test_pdf_text_keeps_spanish_and_replaces_the_rest() -> None:
    assert pdf_text("¿Año? ¡Sí! áéíóú ÁÉÍÓÚ ñÑ üÜ «»") == "¿Año? ¡Sí! áéíóú ÁÉÍÓÚ ñÑ üÜ «»"
    assert pdf_text("“Ñandú” — ‘a’ – b… •") == "\"Ñandú\" - 'a' - b... -"
    assert pdf_text("ﬁn ő Ａ 🚀 漢") == "fin o A ? ?"
    assert pdf_text("N\u0303andu\u0301") == "Ñandú"  # decomposed input
    assert pdf_text("a\tb\x00c\r\nd\x85") == "a b c\nd "
    assert pdf_text("\ud800") == "?"  # a lone surrogate does not raise


# --- the PDF -----------------------------------------------------------------------------------


@pytest.fixture
def mexico_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings read from a clean environment: the default zone, America/Mexico_City."""
    for key in ("SIA_TIMEZONE", "SIA_NOW"):
        monkeypatch.delenv(key, raising=False)
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


@pytest.fixture(scope="module")
def lab() -> Lab:
    return Lab()


@pytest.fixture(scope="module")
def trust(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> TrustStore:
    return load_trust_store(lab.write_trust_dir(tmp_path_factory.mktemp("confianza")))


def _values(folio: str, razon_social: str = COMPANY_NAME) -> list[str]:
    return [folio, ISSUED_AT.isoformat(), COMPANY_RFC, razon_social, TITLE, *TERMS]


@pytest.fixture(scope="module")
def signed(lab: Lab, trust: TrustStore) -> SignedCadena:
    files = lab.efirma()
    return sign_with_efirma(
        files.cer,
        files.key,
        PASSWORD,
        cadena_original(_values(FOLIO)),
        trust=trust,
        expected_rfc=COMPANY_RFC,
        now=NOW,
    )


def _acuse(signed: SignedCadena, **changes: object) -> Acuse:
    fields: dict[str, object] = {
        "kind": DocumentKind.RESPONSIVA_CONTRASENA,
        "title": TITLE,
        "folio": FOLIO,
        "issued_at": ISSUED_AT,
        "rfc": signed.efirma.rfc,
        "razon_social": signed.efirma.name,
        "certificate_number": signed.efirma.certificate_number,
        "cadena": signed.cadena,
        "sello": signed.sello,
        "paragraphs": TERMS,
        "details": (("NRP", NRP),),
    }
    fields.update(changes)
    return Acuse(**fields)  # type: ignore[arg-type]


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def _read_back(data: bytes) -> tuple[str, str]:
    """The cadena and the sello printed in the PDF, without the line breaks of their boxes."""
    text = _text(data)
    cadena = _between(text, "Cadena original\n", "\nSello digital (e.firma)\n")
    sello = _between(text, "Sello digital (e.firma)\n", "\nFolio ")
    return cadena.replace("\n", ""), "".join(sello.split())


def test_the_pdf_shows_the_acuse(signed: SignedCadena, mexico_time: None) -> None:
    data = render_acuse_pdf(_acuse(signed))
    assert data.startswith(b"%PDF-")
    text = _text(data)
    for shown in (
        "INFONAVIT - Servicios de Intercomunicación de Avisos",
        TITLE,
        FOLIO,
        "07/dic/2026 10:31:05 (hora del centro de México)",
        COMPANY_RFC,
        COMPANY_NAME,
        signed.efirma.certificate_number,
        NRP,
        "personal e intransferible",
        "Página 1 de 1",
    ):
        assert shown in text
    reader = pypdf.PdfReader(io.BytesIO(data))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points
    assert reader.metadata is not None
    assert reader.metadata.title == TITLE
    assert reader.metadata.author == "INFONAVIT SIA"
    assert reader.metadata.creation_date == ISSUED_AT


def test_the_printed_cadena_and_sello_verify(signed: SignedCadena, mexico_time: None) -> None:
    cadena, sello = _read_back(render_acuse_pdf(_acuse(signed)))
    assert cadena == signed.cadena
    assert sello == signed.sello
    certificate = signed.efirma.certificate
    assert verify_sello(certificate, cadena, sello)
    assert not verify_sello(certificate, cadena.replace(FOLIO, "0500000124"), sello)
    assert not verify_sello(certificate, cadena_original(_values(FOLIO, "OTRA SA")), sello)


@pytest.mark.parametrize("prefix", ["", "x"])
def test_line_breaks_falling_on_spaces_lose_nothing(
    signed: SignedCadena, mexico_time: None, prefix: str
) -> None:
    # Every other character a space: each break of the box lands next to one.
    cadena = prefix + "a " * 400 + "fin"
    printed, _ = _read_back(render_acuse_pdf(_acuse(signed, cadena=cadena)))
    assert printed == cadena


def test_text_outside_latin1_renders_and_spanish_letters_survive(
    signed: SignedCadena, mexico_time: None
) -> None:
    acuse = _acuse(
        signed,
        razon_social="Señales “Ñandú” — S.A. 🚀",
        paragraphs=("Acepto los términos… ¿Está de acuerdo? ¡Sí! {nb}",),
        details=(("Año", "pingüino ñoño"),),
    )
    text = _text(render_acuse_pdf(acuse))
    assert 'Señales "Ñandú" - S.A. ?' in text
    assert "Acepto los términos... ¿Está de acuerdo? ¡Sí! {nb}" in text
    assert "pingüino ñoño" in text


def test_the_same_acuse_gives_the_same_bytes(signed: SignedCadena, mexico_time: None) -> None:
    acuse = _acuse(signed)
    first = render_acuse_pdf(acuse)
    assert render_acuse_pdf(_acuse(signed)) == first
    assert render_acuse_pdf(_acuse(signed, razon_social="OTRA SA")) != first


def test_a_long_acuse_numbers_its_pages(signed: SignedCadena, mexico_time: None) -> None:
    data = render_acuse_pdf(_acuse(signed, paragraphs=TERMS * 30))
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    assert pages > 1
    text = _text(data)
    assert all(f"Página {page} de {pages}" in text for page in range(1, pages + 1))


def test_an_acuse_needs_an_aware_time_and_a_ten_digit_folio(signed: SignedCadena) -> None:
    with pytest.raises(ValueError, match="aware"):
        _acuse(signed, issued_at=ISSUED_AT.replace(tzinfo=None))
    with pytest.raises(ValueError, match="10 digits"):
        _acuse(signed, folio="12345")


# --- stored as a Document ----------------------------------------------------------------------


def test_issue_acuse_stores_the_pdf_and_records_it(
    settings: Settings, engine: Engine, lab: Lab, trust: TrustStore
) -> None:
    with Session(engine) as session:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc=COMPANY_RFC,
            razon_social=COMPANY_NAME,
            email="certificacion@accem.example",
        )
        session.add(vendor)
        session.flush()
        assert vendor.id is not None
        vendor_id = vendor.id
        folio = issue_folio(session, "responsiva_contrasena")
        files = lab.efirma()
        signed = sign_with_efirma(
            files.cer,
            files.key,
            PASSWORD,
            cadena_original(_values(folio)),
            trust=trust,
            expected_rfc=COMPANY_RFC,
            now=NOW,
        )
        acuse = _acuse(signed, folio=folio)
        document = issue_acuse(session, acuse, organization_id=vendor_id)
        assert document.id is not None  # flushed
        document_id = document.id
        session.commit()

    with Session(engine) as session:
        stored = session.get(Document, document_id)
        assert stored is not None
        assert stored.folio == folio
        assert stored.kind == DocumentKind.RESPONSIVA_CONTRASENA
        assert stored.organization_id == vendor_id
        assert stored.certification_id is None
        assert stored.signer_rfc == COMPANY_RFC
        assert stored.certificate_number == signed.efirma.certificate_number
        assert stored.signature == signed.sello
        assert stored.storage_path.startswith("acuses/") and stored.storage_path.endswith(".pdf")
        data = acuse_bytes(stored)
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    assert data == render_acuse_pdf(acuse)

    tampered = data + b"%tampered\n"
    if settings.blob_store == "database":
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE blobs SET data = :data WHERE key = :key"),
                {"data": tampered, "key": stored.storage_path},
            )
    else:
        path = settings.storage / stored.storage_path
        path.chmod(0o644)  # stored files are read-only
        path.write_bytes(tampered)
    with pytest.raises(ValueError, match="sha256"):
        acuse_bytes(stored)
