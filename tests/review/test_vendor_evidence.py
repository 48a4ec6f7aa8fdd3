"""The old evidence page (RFC + SIA password in the form) is gone: its path still answers, for
the links of emails already sent and forms left open, by sending the vendor to «Certificación
(Desarrolladores)» in the portal (tests/review/portal/test_certification_follow_up.py tests the
upload there), without reading or storing what an old form sends."""

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from review.app import create_app
from schema import EvidenceSubmission, SignInFailure
from tests.vendor import GOOD, PASSWORD, RFC


def _count(engine, table) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_the_old_page_leads_to_the_certification_tab(engine, folio):
    client = TestClient(create_app())
    page = client.get("/portal/evidencias", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/portal/certificacion"
    # Followed: the tab asks the company to sign in first.
    assert client.get("/portal/evidencias").url.path == "/portal/ingresar"


def test_an_old_forms_upload_is_not_taken(engine, folio):
    client = TestClient(create_app())
    sent = client.post(
        "/portal/evidencias",
        data={"rfc": RFC, "password": PASSWORD, "folio": folio},
        files={"archivo": ("evidencias.xlsx", GOOD, "application/octet-stream")},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/portal/certificacion"
    # Even one over every limit: the body is never read.
    large = client.post(
        "/portal/evidencias",
        files={"archivo": ("e.xlsx", b"PK" + b"\0" * (6 * 1024 * 1024))},
        follow_redirects=False,
    )
    assert large.status_code == 303
    assert _count(engine, EvidenceSubmission) == 0 and _count(engine, SignInFailure) == 0
    # The status pages of the old form are gone with its signed cookie.
    assert client.get("/portal/evidencias/1", follow_redirects=False).status_code == 404
    assert "sia_sesion" not in sent.headers.get("set-cookie", "")
