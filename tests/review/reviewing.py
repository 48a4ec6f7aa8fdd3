"""Certifications brought to review through the real path: a workbook built from the round's
own test set, uploaded over the API and examined by the task."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review.app import create_app
from rules.testsets.generate import GeneratedTestSet, SandboxPatron
from schema import Certification, TestSet
from tests.evidence.checks.builder import evidence_spec
from tests.evidence.fixtures.build import build_xlsx
from tests.vendor import PASSWORD, RFC
from workers.tasks.evidence import examine


def round_of(engine: Engine, folio: str) -> GeneratedTestSet:
    """The certification's current round as the generator made it."""
    with Session(engine) as session:
        cert = session.exec(select(Certification).where(Certification.folio == folio)).one()
        row = session.exec(
            select(TestSet)
            .where(TestSet.certification_id == cert.id)
            .order_by(col(TestSet.round).desc())
        ).first()
        assert row is not None
    return GeneratedTestSet(
        test_set=row.document,
        answers=row.answers,
        avisos=tuple(row.avisos_responses),
        patron=SandboxPatron(row.patron_rfc, row.patron_nrp, "Patrón de prueba"),
    )


def evaluation_cases(gen: GeneratedTestSet) -> list[str]:
    return [c["caso"] for c in gen.test_set["casos"] if c["seccion"] == "evaluacion"]


def workbook(gen: GeneratedTestSet, wrong: Iterable[str] = (), off_by: str = "1.00") -> bytes:
    """The evidence workbook of ``gen``, with the total of each case in ``wrong`` off."""
    answers = dict(gen.answers)
    for case in wrong:
        total = Decimal(answers[case]["total"]) + Decimal(off_by)
        answers[case] = {**answers[case], "total": str(total)}
    return build_xlsx(evidence_spec(dataclasses.replace(gen, answers=answers)))


def upload(folio: str, data: bytes, rfc: str = RFC, password: str = PASSWORD) -> int:
    response = TestClient(create_app()).post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        files={"archivo": ("evidencias.xlsx", data, "application/octet-stream")},
        auth=(rfc, password),
    )
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def submit_for_review(engine: Engine, folio: str, wrong: Iterable[str] = ()) -> int:
    """Upload and examine the round's workbook (wrong totals for ``wrong``); the certification
    is then `En análisis`. Returns the submission's id."""
    submission_id = upload(folio, workbook(round_of(engine, folio), wrong))
    assert examine(submission_id) is not None
    return submission_id
