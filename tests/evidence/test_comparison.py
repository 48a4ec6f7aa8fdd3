"""What changed between submission N and N+1: cases fixed, still wrong, new errors."""

from __future__ import annotations

from evidence.comparison import Problem, compare_submissions, problem_of
from evidence.findings import Code, Finding, finding
from schema import Finding as StoredFinding
from schema import FindingSource, Severity


def total(case: str) -> Finding:
    return finding(Code.T2_TOTAL_MISMATCH, f"Caso {case}: total.", tab=2, case=case)


def step(case: str) -> Finding:
    return finding(Code.T2_STEP_MISMATCH, f"Caso {case}: paso.", tab=2, case=case)


SCHEMA = finding(Code.T4_SCHEMA, "El CFDI no cumple el esquema.", tab=4)
SIGNED = finding(Code.T4_SIGNED, "El CFDI está sellado.", tab=4)  # a warning


def test_cases_fixed_still_wrong_and_new() -> None:
    change = compare_submissions(
        [total("E01"), total("E02"), step("M03")], [total("E02"), total("E05")]
    )
    assert change.fixed == (Problem("E01"), Problem("M03"))
    assert change.still_wrong == (Problem("E02"),)
    assert change.new == (Problem("E05"),)
    assert change.new_errors == (total("E05"),)
    assert not change.unchanged


def test_a_case_is_one_problem_whatever_its_findings_and_tabs() -> None:
    missing_aviso = finding(Code.T1_MISSING, "Falta el aviso.", tab=1, case="E04")
    change = compare_submissions([total("E04")], [missing_aviso, step("E04")])
    assert change.still_wrong == (Problem("E04"),)
    assert change.fixed == change.new == ()
    assert change.new_errors == ()
    assert change.unchanged


def test_case_ids_compare_without_regard_to_case_or_spaces() -> None:
    change = compare_submissions([total(" e01 ")], [total("E01")])
    assert change.still_wrong == (Problem("E01"),)
    assert problem_of(total(" e01 ")).label == "Caso E01"


def test_findings_of_no_case_are_problems_by_code_and_tab() -> None:
    sheet = finding(Code.T3_IMAGE_INVALID, "Imagen dañada.", tab=3)
    foreign = finding(Code.T1_FOREIGN, "De otro set.", tab=1)
    change = compare_submissions([SCHEMA, sheet], [sheet, foreign])
    assert change.fixed == (Problem(None, 4, "T4-SCHEMA"),)
    assert change.still_wrong == (Problem(None, 3, "T3-IMAGE-INVALID"),)
    assert change.new == (Problem(None, 1, "T1-FOREIGN"),)
    assert [p.label for p in change.fixed + change.new] == [
        "T4-SCHEMA (pestaña 4)",
        "T1-FOREIGN (pestaña 1)",
    ]
    assert Problem(None, None, "WB-FORMAT").label == "WB-FORMAT (libro)"


def test_warnings_are_never_problems() -> None:
    change = compare_submissions([SIGNED], [SIGNED, total("E01")])
    assert change.fixed == change.still_wrong == ()
    assert change.new == (Problem("E01"),)
    assert compare_submissions([total("E01")], [SIGNED]).fixed == (Problem("E01"),)


def test_order_is_cases_by_id_then_the_rest_by_tab_and_code() -> None:
    after = [SCHEMA, total("E10"), finding(Code.T1_FOREIGN, "x", tab=1), total("E02"), step("M01")]
    change = compare_submissions([], after)
    assert change.new == (
        Problem("E02"),
        Problem("E10"),
        Problem("M01"),
        Problem(None, 1, "T1-FOREIGN"),
        Problem(None, 4, "T4-SCHEMA"),
    )
    # The messages keep the order the checks found them in.
    assert change.new_errors == tuple(after)


def test_new_errors_only_name_new_problems() -> None:
    change = compare_submissions([total("E01")], [step("E01"), total("E02"), SIGNED])
    assert change.new_errors == (total("E02"),)


def test_nothing_before_nothing_after() -> None:
    change = compare_submissions([], list[Finding]())
    assert change.unchanged
    assert change.fixed == change.still_wrong == change.new == ()
    assert change.new_errors == ()


def test_a_clean_submission_fixes_everything() -> None:
    change = compare_submissions([total("E01"), SCHEMA], list[Finding]())
    assert change.fixed == (Problem("E01"), Problem(None, 4, "T4-SCHEMA"))
    assert change.still_wrong == change.new == ()


def test_stored_findings_compare_like_the_checks_findings() -> None:
    def stored(case: str | None, code: str, severity: Severity) -> StoredFinding:
        return StoredFinding(
            submission_id=1,
            source=FindingSource.AUTOMATICO,
            code=code,
            severity=severity,
            tab=2,
            case=case,
            message="…",
        )

    before = [stored("E01", "T2-TOTAL-MISMATCH", Severity.ERROR)]
    after = [
        stored("E03", "T2-TOTAL-MISMATCH", Severity.ERROR),
        stored("E04", "T2-TOTAL-MISMATCH", Severity.WARNING),
    ]
    change = compare_submissions(before, after)
    assert change.fixed == (Problem("E01"),)
    assert change.new == (Problem("E03"),)
    assert change.new_errors == (after[0],)
