"""A reviewer's day in a real browser (Debian's Chromium through Playwright): sign in, filter the
queue, open a certification, look at a screenshot, reject with a reason and see round 2 and its
email; approve another in at most 3 page views and 5 clicks from the queue.

Screenshots of the key pages are kept in ``SIA_TEST_ARTIFACTS`` (default ``test-artifacts/``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from core.security import hash_password
from review.app import create_app
from schema import Certification, CertificationState, Organization, OutboxEmail
from tests.certifications import request_and_dispatch
from tests.review.reviewing import evaluation_cases, round_of, upload, workbook
from tests.review.servers import serving
from tests.review.test_browser import CHROMIUM, FLAGS
from tests.vendor import RFC, STAFF_EMAIL, STAFF_PASSWORD
from workers.tasks.evidence import examine
from workflow.dispatch import DISPATCH_TASK, dispatch_test_set

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="CHROMIUM NOT INSTALLED: `apt-get install chromium` (.ci/run does it)",
    ),
]
ARTIFACTS = Path(os.environ.get("SIA_TEST_ARTIFACTS", "test-artifacts"))
RFC_B, PASSWORD_B = "GODE561231GR8", "contraseña-sia-de-otro-desarrollador"
REASON = "Los totales de E01 y E02 no coinciden con el cálculo de la amortización; revíselos."


class Counted:
    """The browser page, counting what the reviewer does: page views (documents loaded in the
    main frame) and clicks."""

    def __init__(self, page: Any) -> None:
        self.page, self.views, self.clicks = page, 0, 0
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self.views += 1

    def click(self, selector: str) -> None:
        self.clicks += 1
        self.page.click(selector)

    def check(self, selector: str) -> None:
        self.clicks += 1
        self.page.check(selector)

    def reset(self) -> None:
        self.views, self.clicks = 0, 0

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def in_review(settings, engine, folio, reviewer, sent_tasks) -> tuple[str, str]:
    """Two certifications in review: the fixture's (two wrong totals) and vendor B's (right)."""
    gen = round_of(engine, folio)
    examine(upload(folio, workbook(gen, evaluation_cases(gen)[:2])))
    cert_b = request_and_dispatch(engine, RFC_B, datetime.now(UTC), razon_social="Nómina Beta")
    with Session(engine) as session:
        vendor = session.exec(select(Organization).where(Organization.rfc == RFC_B)).one()
        vendor.sia_password_hash = hash_password(PASSWORD_B)
        session.add(vendor)
        session.commit()
        certification = session.get(Certification, cert_b)
        assert certification is not None
        folio_b = certification.folio
    examine(upload(folio_b, workbook(round_of(engine, folio_b)), RFC_B, PASSWORD_B))
    return folio, folio_b


@pytest.fixture
def browser_page(settings) -> Iterator[Counted]:
    from playwright.sync_api import sync_playwright

    with serving(create_app()) as port, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(base_url=f"http://127.0.0.1:{port}", locale="es-MX")
        yield Counted(context.new_page())
        browser.close()


def _state(engine, folio: str) -> tuple[CertificationState, int]:
    with Session(engine) as session:
        cert = session.exec(select(Certification).where(Certification.folio == folio)).one()
        return cert.state, cert.round


def test_a_reviewer_rejects_one_round_and_approves_another(
    browser_page, in_review, engine, sent_tasks
):
    wrong, right = in_review
    page = browser_page
    page.page.goto("/ingresar")
    page.page.fill("input[name=email]", STAFF_EMAIL)
    page.page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.page.wait_for_url("**/panel")
    page.shot("cola")

    # Filter the queue by the vendor's RFC: only its certification is left.
    page.page.fill("input[name=desarrollador]", RFC)
    page.page.press("input[name=desarrollador]", "Enter")
    page.page.wait_for_url("**/panel?*desarrollador=*")
    rows = page.page.locator("table tbody tr")
    assert rows.count() == 1 and wrong in rows.first.inner_text()
    page.shot("cola_filtrada")

    # Open it, look at a screenshot full size, and come back.
    page.click(f"a:text('{wrong}')")
    page.page.wait_for_url(f"**/panel/certificaciones/{wrong}")
    assert "Con inconsistencias" in page.page.inner_text("body")  # the automatic verdict
    page.shot("certificacion")
    page.click(".miniaturas a >> nth=0")
    page.page.wait_for_url("**/capturas/*")
    assert page.page.evaluate("document.images[0].naturalWidth") > 0
    page.page.go_back()

    # Approving despite the errors needs a justification: the page says so, nothing changes.
    page.check("input[name=decision][value=aprobada]")
    page.click("button:text('Registrar decisión')")
    assert "justificación" in page.page.inner_text("#error-decision")
    assert _state(engine, wrong) == (CertificationState.EN_ANALISIS, 1)

    # Reject with a reason; the findings of the checks go along (pre-checked).
    page.check("input[name=decision][value=con_inconsistencias]")
    page.page.fill("textarea[name=reason]", REASON)
    page.click("button:text('Registrar decisión')")
    page.page.wait_for_selector("#decision dl.datos")  # the decision, as recorded
    assert _state(engine, wrong) == (CertificationState.CON_INCONSISTENCIAS, 1)
    # What the worker does next: round 2 goes out with the reviewer's findings.
    with Session(engine) as session:
        certification = session.exec(select(Certification).where(Certification.folio == wrong))
        certification_id = certification.one().id
    assert (DISPATCH_TASK, (certification_id,)) in sent_tasks
    with Session(engine) as session:
        assert certification_id is not None
        dispatch_test_set(session, certification_id)
        session.commit()
        email = session.exec(
            select(OutboxEmail).where(OutboxEmail.template == "inconsistencias")
        ).one()
    assert email.context["ronda"] == 2
    assert REASON in [h["mensaje"] for h in email.context["hallazgos"]]
    assert any(h["codigo"] == "T2-TOTAL-MISMATCH" for h in email.context["hallazgos"])
    page.page.reload()
    body = page.page.inner_text("body")
    assert "En espera de documentos" in body and REASON in body
    page.shot("certificacion_ronda_2")

    # Approve the other one, from the queue: at most 3 page views and 5 clicks.
    page.page.goto("/panel")
    page.reset()
    page.click(f"a:text('{right}')")
    page.page.wait_for_url(f"**/panel/certificaciones/{right}")
    page.check("input[name=decision][value=aprobada]")
    page.click("button:text('Registrar decisión')")
    page.page.wait_for_selector("#decision dl.datos")
    assert _state(engine, right) == (CertificationState.APROBADA_PENDIENTE_DE_FIRMA, 1)
    assert "Aprobada, pendiente de firma" in page.page.inner_text("body")
    assert page.views <= 3 and page.clicks <= 5, (page.views, page.clicks)
    page.shot("certificacion_aprobada")
