"""The verdict (DOMAIN §9), the result's order and what a blocked tab leaves unchecked."""

from __future__ import annotations

from dataclasses import replace

from evidence.checks import CheckResult, check_evidence, verdict_of
from evidence.findings import Code, finding
from evidence.reading import read_workbook
from tests.evidence.checks.builder import (
    PUBLIC_KEY,
    check_spec,
    check_workbook,
    codes,
    evidence_spec,
    generated,
)
from tests.evidence.fixtures.build import build_xlsx, screenshot


def test_verdict_rules() -> None:
    warning = finding(Code.T4_SIGNED, "sellado", tab=4)
    error = finding(Code.T2_TOTAL_MISMATCH, "total", tab=2, case="E01")
    blocking = finding(Code.T3_NO_IMAGE, "sin imágenes", tab=3)
    assert verdict_of([]) == "sin_inconsistencias"
    assert verdict_of([warning]) == "sin_inconsistencias"
    assert verdict_of([warning, error]) == "con_inconsistencias"
    assert verdict_of([error, blocking]) == "ilegible"


def test_result_has_no_repeats_and_groups_findings_by_tab_in_order_found() -> None:
    t4 = finding(Code.T4_SCHEMA, "esquema", tab=4)
    t2a = finding(Code.T2_MISSING_CASE, "falta", tab=2, case="M01")
    t2b = finding(Code.T2_UNKNOWN_CASE, "sobra", tab=2, case="M99")
    whole = finding(Code.WB_FORMAT, "dañado")
    result = CheckResult.of([t4, t2a, t4, t2b, whole, t2a])
    assert result.findings == (whole, t2a, t2b, t4)
    assert result.to_json() == {
        "verdict": "ilegible",
        "findings": [f.to_json() for f in (whole, t2a, t2b, t4)],
    }


def test_invalid_image_beside_a_good_one_is_an_error_but_not_blocking() -> None:
    gen = generated()
    spec = evidence_spec(gen)
    spec[2] = replace(spec[2], images=[screenshot("png")[:200], screenshot("jpeg")])
    result = check_spec(spec, gen)
    assert codes(result) == ["T3-IMAGE-INVALID"]
    assert result.verdict == "con_inconsistencias"


def test_only_an_invalid_image_is_ilegible() -> None:
    gen = generated()
    spec = evidence_spec(gen)
    spec[2] = replace(spec[2], images=[screenshot("png")[:200]])
    result = check_spec(spec, gen)
    assert codes(result) == ["T3-IMAGE-INVALID", "T3-NO-IMAGE"]
    assert result.verdict == "ilegible"


def test_a_missing_sheet_is_not_reported_again_by_its_checks() -> None:
    gen = generated()
    spec = evidence_spec(gen)
    del spec[1]
    result = check_spec(spec, gen)
    assert codes(result) == ["WB-SHEET-MISSING"]
    assert result.verdict == "ilegible"


def test_content_of_readable_tabs_is_still_checked_when_another_tab_blocks() -> None:
    gen = generated()
    spec = evidence_spec(gen)
    spec[2] = replace(spec[2], images=[])
    spec[1] = replace(spec[1], rows=[row for row in spec[1].rows if row[:1] != ["E01"]])
    result = check_spec(spec, gen)
    assert codes(result) == ["T2-MISSING-CASE", "T3-NO-IMAGE"]
    assert result.verdict == "ilegible"


def test_an_unreadable_file_keeps_the_readers_finding_only() -> None:
    gen = generated()
    result = check_workbook(b"%PDF-1.7\n", gen)
    assert codes(result) == ["WB-FORMAT"]
    assert result.verdict == "ilegible"


def test_reading_findings_are_kept_and_checks_added() -> None:
    gen = generated()
    spec = evidence_spec(gen)
    spec[1] = replace(spec[1], rows=[*spec[1].rows, ["E77", "12345678901", "diez"]])
    reading = read_workbook(build_xlsx(spec))
    assert [f.code.value for f in reading.findings] == ["T2-NOT-NUMBER"]
    result = check_evidence(
        reading,
        test_set=gen.test_set,
        answers=gen.answers,
        avisos_responses=gen.avisos,
        public_key=PUBLIC_KEY,
    )
    assert result.findings[0] == reading.findings[0]
    assert codes(result) == ["T2-NOT-NUMBER"]
