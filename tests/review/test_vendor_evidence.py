import re

from fastapi.testclient import TestClient

from review.app import create_app
from tests.vendor import GOOD, PASSWORD, RFC
from workers.tasks.evidence import examine
from workflow.throttle import ACCOUNT_LIMIT


def _post(client, folio, data=GOOD, password=PASSWORD):
    return client.post(
        "/portal/evidencias",
        data={"rfc": RFC, "password": password, "folio": folio},
        files={"archivo": ("Evidencias Ñandú.xlsx", data, "application/octet-stream")},
        follow_redirects=False,
    )


def test_form_upload_then_status_page(folio):
    client = TestClient(create_app())
    form = client.get("/portal/evidencias")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    response = _post(client, folio)
    assert response.status_code == 303
    status_url = response.headers["location"]
    pending = client.get(status_url)
    assert "En lectura" in pending.text and "Evidencias Ñandú.xlsx" in pending.text
    examine(int(status_url.rsplit("/", 1)[1]))
    done = client.get(status_url)
    assert "Aceptada para revisión" in done.text and "En análisis" in done.text
    # Another browser (no vendor session) cannot see it.
    assert TestClient(create_app()).get(status_url, follow_redirects=False).status_code == 303


def test_refusals_are_shown_on_the_form_in_spanish(folio):
    client = TestClient(create_app())
    wrong = _post(client, folio, password="mala")
    assert wrong.status_code == 401 and "RFC o contraseña SIA incorrectos" in wrong.text
    assert f'value="{folio}"' in wrong.text  # what was typed is kept
    too_big = _post(client, folio, data=b"PK" + b"\0" * (5 * 1024 * 1024))
    assert too_big.status_code == 413 and "5 MiB" in too_big.text
    unknown = _post(client, "0000000001")
    assert unknown.status_code == 404 and "No existe la certificación" in unknown.text


def test_unreadable_file_shows_the_reasons(folio):
    client = TestClient(create_app())
    status_url = _post(client, folio, data=b"%PDF-1.4 no es un libro").headers["location"]
    examine(int(status_url.rsplit("/", 1)[1]))
    page = client.get(status_url)
    assert "Rechazada" in page.text and "WB-FORMAT" in page.text and "PDF" in page.text
    # The term still runs: its last moment and the business days left are shown.
    assert "Fecha límite de entrega" in page.text
    assert re.search(r"quedan \d+ días hábiles después de hoy", page.text)


def test_the_form_makes_a_guesser_wait(folio):
    client = TestClient(create_app())
    for _ in range(ACCOUNT_LIMIT):
        assert _post(client, folio, password="mala").status_code == 401
    blocked = _post(client, folio)
    assert blocked.status_code == 429 and "Demasiados intentos fallidos" in blocked.text
