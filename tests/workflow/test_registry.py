"""The public registry's read model (workflow.registry), on SQLite and PostgreSQL: which
certificates it lists, what it says of a cancelled one, and that a certification that never
became `Certificada` is never disclosed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.registry_rows import (
    add_vendor,
    cancel,
    certification_of,
    certified_vendor,
    certify,
    plant_certificates,
)
from workflow.registry import (
    MAX_PAGE,
    Certificate,
    CertificatePage,
    certificate_by_folio,
    is_folio,
    list_certificates,
    normal_rfc,
)

CERTIFIED = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
# 21:00 of 14 April in Mexico City.
CANCELLED = datetime(2026, 4, 15, 3, 0, tzinfo=UTC)
NANDU_RFC, NANDU = "NAN840428RH1", "Nóminas Ñandú, S.A. de C.V."


def listed(engine: Engine, **wanted: object) -> CertificatePage:
    with Session(engine) as session:
        return list_certificates(session, **wanted)  # type: ignore[arg-type]


def folios(engine: Engine, **wanted: object) -> list[str]:
    return [row.folio for row in listed(engine, **wanted).rows]


def by_folio(engine: Engine, folio: str) -> Certificate | None:
    with Session(engine) as session:
        return certificate_by_folio(session, folio)


def test_a_certified_vendor_is_listed_with_its_certificate(settings, engine):
    folio = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)

    page = listed(engine)
    assert page.rows == (
        Certificate(
            folio=folio,
            rfc=NANDU_RFC,
            razon_social=NANDU,
            certified_at=CERTIFIED,
            in_force=True,
            cancelled_at=None,
        ),
    )
    assert page.number == 1 and not page.has_more
    assert page.rows[0].status == "Certificado"
    assert by_folio(engine, folio) == page.rows[0]


def test_a_cancelled_certificate_leaves_the_list_but_its_page_says_when(settings, engine):
    folio = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)
    other = certified_vendor(engine, "OTR9912316C4", "Otra Nómina", CERTIFIED)

    cancel(engine, folio, CANCELLED)

    assert folios(engine) == [other]
    assert folios(engine, search="ñandú") == []
    found = by_folio(engine, folio)
    assert found is not None
    assert not found.in_force and found.status == "Cancelado"
    assert found.cancelled_at == CANCELLED
    assert found.certified_at == CERTIFIED  # «certificado desde» is kept


@pytest.mark.parametrize("steps", [0, 1, 2, 3], ids=["solicitada", "espera", "analisis", "firma"])
def test_a_certification_short_of_certificada_is_never_disclosed(settings, engine, steps):
    vendor = add_vendor(engine, NANDU_RFC, NANDU)
    folio = certification_of(engine, vendor, CERTIFIED, steps)

    assert listed(engine).rows == ()
    assert listed(engine, search="Ñandú").rows == ()
    assert listed(engine, search=NANDU_RFC).rows == ()
    assert listed(engine, rfc=NANDU_RFC).rows == ()
    assert by_folio(engine, folio) is None


def test_an_expired_or_cancelled_request_is_no_certificate(settings, engine):
    vendor = add_vendor(engine, NANDU_RFC, NANDU)
    waiting = certification_of(engine, vendor, CERTIFIED, 1)  # `En espera de documentos`
    cancel(engine, waiting, CANCELLED)  # cancelled before it was ever certified

    assert listed(engine, rfc=NANDU_RFC).rows == ()
    assert by_folio(engine, waiting) is None


def test_the_rfc_filter_lists_every_certificate_of_that_rfc_newest_first(settings, engine):
    vendor = add_vendor(engine, NANDU_RFC, NANDU)
    first = certify(engine, vendor, CERTIFIED)
    cancel(engine, first, CANCELLED)
    second = certify(engine, vendor, CANCELLED + timedelta(days=30))
    certification_of(engine, vendor, CANCELLED + timedelta(days=60), 2)  # never disclosed
    certified_vendor(engine, "OTR9912316C4", "Otra Nómina", CERTIFIED)

    page = listed(engine, rfc=NANDU_RFC)
    assert [row.folio for row in page.rows] == [second, first]
    assert [row.status for row in page.rows] == ["Certificado", "Cancelado"]
    assert folios(engine, rfc=" nan840428rh1 ") == [second, first]
    assert folios(engine, rfc="NAN840428RH") == []  # exact, not a part
    assert folios(engine) == [second, folios(engine, rfc="OTR9912316C4")[0]]


def test_search_by_rfc_or_razon_social_ignores_case_and_wildcards(settings, engine):
    nandu = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)
    exacto = certified_vendor(engine, "CEX900101AB2", "Cálculo_100% Exacto", CERTIFIED)
    certified_vendor(engine, "CXX900101AB3", "Calculo 1000 Exacto", CERTIFIED)
    capitals = certified_vendor(engine, "SAN900101AB4", "SISTEMAS AÑIL, S.C.", CERTIFIED)

    assert folios(engine, search="nóminas") == [nandu]
    assert folios(engine, search="  nóminas   Ñandú ") == [nandu]
    assert folios(engine, search="sistemas añil") == [capitals]  # capitals, as e.firmas have
    assert folios(engine, search="  NÓMINAS   ñandú ") == [nandu]
    assert folios(engine, search="nan840") == [nandu]
    assert folios(engine, search="_100%") == [exacto]  # no LIKE wildcards
    assert folios(engine, search="cex9") == [exacto]
    assert len(folios(engine, search="exacto")) == 2
    assert folios(engine, search="") == folios(engine)


def test_certificates_in_force_come_by_razon_social_then_id(settings, engine):
    zeta = certified_vendor(engine, "ZET900101AB1", "Zeta Nómina", CERTIFIED)
    alfa = certified_vendor(engine, "ALF900101AB1", "Alfa Nómina", CERTIFIED + timedelta(1))
    beta = certified_vendor(engine, "BET900101AB1", "Beta Nómina", CERTIFIED - timedelta(1))

    assert folios(engine) == [alfa, beta, zeta]


def test_the_list_comes_in_bounded_pages(settings, engine):
    planted = plant_certificates(engine, 7, CERTIFIED)

    first = listed(engine, page_size=3)
    assert [row.folio for row in first.rows] == planted[:3] and first.has_more
    second = listed(engine, page=2, page_size=3)
    assert [row.folio for row in second.rows] == planted[3:6] and second.has_more
    last = listed(engine, page=3, page_size=3)
    assert [row.folio for row in last.rows] == planted[6:] and not last.has_more
    beyond = listed(engine, page=4, page_size=3)
    assert beyond.rows == () and not beyond.has_more
    with pytest.raises(ValueError):
        listed(engine, page=0)
    with pytest.raises(ValueError):
        listed(engine, page=MAX_PAGE + 1)


def test_unknown_or_malformed_folios_are_no_certificate(settings, engine):
    folio = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)

    assert by_folio(engine, "0599999999") is None
    for malformed in ("", "abc", folio + "0", folio[:-1], f" {folio}", "٠" * 10):
        assert by_folio(engine, malformed) is None


def test_shapes_of_folios_and_rfcs():
    assert is_folio("0500000001")
    assert not is_folio("050000001") and not is_folio("05000000010") and not is_folio("١" * 10)
    assert normal_rfc(" cac840428rh1 ") == "CAC840428RH1"
    assert normal_rfc("GODE561231GR8") == "GODE561231GR8"  # persona física
    assert normal_rfc("ÑAN840428RH1") == "ÑAN840428RH1"
    for bad in ("", "CAC840428RH", "CAC840428RH12", "CAC84O428RH1", "C-C840428RH1", "CAC 840428RH"):
        assert normal_rfc(bad) is None
