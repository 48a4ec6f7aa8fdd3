"""No input makes the web answer 500 (issue 18), on SQLite and on PostgreSQL alike: ids that
do not fit the database, control characters in text, malformed multipart bodies, framework
errors in Spanish, bare redirects and body limits."""

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from review.app import create_app
from review.deps import CSRF_FIELD
from review.inputs import MAX_DB_ID
from review.limits import BODY_LIMIT
from schema import AuditEvent, EvidenceSubmission, SignInFailure
from tests.review.portal.companies import account_for, csrf_token
from tests.review.staff import sign_in
from tests.vendor import GOOD, PASSWORD, RFC, STAFF_EMAIL, STAFF_PASSWORD

AUTH = (RFC, PASSWORD)
PORTAL_UPLOAD = "/portal/certificacion/evidencias"
CONTROL = ["\x00", "\x1b", "\x7f", "\x85"]  # NUL, another C0, DEL, a C1
ENGLISH = ("There was an error", "Not Found", "Method Not Allowed", "Invalid", "Missing", "JSON")


def _count(engine, table) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _nothing_stored(engine) -> None:
    """Nothing reached the tables a refused request would have written: no throttling row
    (the first thing a credential check writes), no submission."""
    assert _count(engine, SignInFailure) == 0
    assert _count(engine, EvidenceSubmission) == 0


def _staff_client() -> TestClient:
    client = TestClient(create_app())
    signed_in = sign_in(client, follow_redirects=False)
    assert signed_in.status_code == 303
    return client


def _vendor_browser(engine) -> TestClient:
    """The ``folio`` fixture's vendor signed in to the companies' portal."""
    return account_for(engine, RFC, "portal@nandu.example")


def _session_body(**change: str) -> dict[str, dict[str, str]]:
    body = {
        "desarrollador": {"rfc": RFC, "password": PASSWORD},
        "patron": {"nrp": "Y5412345107", "password": "contraseña-del-patrón"},
    }
    for path, value in change.items():
        party, field = path.split("__")
        body[party][field] = value
    return body


# Ids -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (2**31, f"no puede ser mayor que {MAX_DB_ID}"),  # past PostgreSQL's integer
        (2**63, f"no puede ser mayor que {MAX_DB_ID}"),  # past SQLite's integer
        (10**30, f"no puede ser mayor que {MAX_DB_ID}"),
        (0, "debe ser al menos 1"),
        (-1, "debe ser al menos 1"),
    ],
)
def test_ids_out_of_range_are_a_spanish_422_on_every_route(engine, folio, reviewer, raw, problem):
    expected = f"Solicitud inválida: «submission_id» {problem}."
    vendor_api = TestClient(create_app()).get(f"/api/v1/evidencias/{raw}", auth=AUTH)
    assert vendor_api.status_code == 422 and vendor_api.json() == {"detail": expected}
    staff_api = _staff_client().get(f"/api/v1/revision/evidencias/{raw}")
    assert staff_api.status_code == 422 and staff_api.json() == {"detail": expected}
    page = _vendor_browser(engine).get(f"{PORTAL_UPLOAD}/{raw}", follow_redirects=False)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert expected in page.text


def test_the_largest_id_reaches_the_database_and_is_simply_absent(engine, folio, reviewer):
    vendor_api = TestClient(create_app()).get(f"/api/v1/evidencias/{MAX_DB_ID}", auth=AUTH)
    assert vendor_api.status_code == 404
    assert _staff_client().get(f"/api/v1/revision/evidencias/{MAX_DB_ID}").status_code == 404
    page = _vendor_browser(engine).get(f"{PORTAL_UPLOAD}/{MAX_DB_ID}", follow_redirects=False)
    assert page.status_code == 404
    not_a_number = TestClient(create_app()).get("/api/v1/evidencias/1e3", auth=AUTH)
    assert not_a_number.json() == {
        "detail": "Solicitud inválida: «submission_id» debe ser un número entero."
    }


# Text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("field", ["email", "password"])
def test_staff_sign_in_refuses_control_characters(engine, reviewer, field, char):
    data = {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    data[field] = data[field][:5] + char + data[field][5:]
    response = TestClient(create_app()).post("/ingresar", data=data, follow_redirects=False)
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert f"«{field}» contiene caracteres de control, que no se admiten" in response.text
    assert _count(engine, SignInFailure) == 0
    with Session(engine) as session:
        assert (
            session.exec(select(AuditEvent).where(AuditEvent.action == "staff.signed_in")).all()
            == []
        )


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize(
    "field",
    ["desarrollador__rfc", "desarrollador__password", "patron__nrp", "patron__password"],
)
def test_sandbox_session_refuses_control_characters(engine, folio, field, char):
    original = _session_body()[field.split("__")[0]][field.split("__")[1]]
    body = _session_body(**{field: original[:-1] + char})  # same length: only the rule fails
    response = TestClient(create_app()).post("/api/v1/sesiones", json=body)
    name = field.replace("__", ".")
    assert response.status_code == 422
    assert response.json() == {
        "detail": f"Solicitud inválida: «{name}» contiene caracteres de control, que no se admiten."
    }
    _nothing_stored(engine)


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("which", ["usuario", "contraseña"])
def test_http_basic_refuses_control_characters(engine, folio, which, char):
    auth = (RFC[:-1] + char, PASSWORD) if which == "usuario" else (RFC, PASSWORD + char)
    client = TestClient(create_app())
    refused = "contiene caracteres de control, que no se admiten"
    expected = {"detail": f"Solicitud inválida: «{which}» {refused}."}
    status = client.get("/api/v1/evidencias/1", auth=auth)
    assert status.status_code == 422 and status.json() == expected
    upload = client.post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        files={"archivo": ("evidencias.xlsx", GOOD)},
        auth=auth,
    )
    assert upload.status_code == 422 and upload.json() == expected
    _nothing_stored(engine)


@pytest.mark.parametrize("char", CONTROL)
def test_the_folio_of_an_api_upload_refuses_control_characters(engine, folio, char):
    quoted = "".join(f"%{b:02X}" for b in char.encode())
    response = TestClient(create_app()).post(
        f"/api/v1/certificaciones/{folio[:5]}{quoted}{folio[5:]}/evidencias",
        files={"archivo": ("evidencias.xlsx", GOOD)},
        auth=AUTH,
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Solicitud inválida: «folio» contiene caracteres de control, que no se admiten."
    }
    assert _count(engine, EvidenceSubmission) == 0


@pytest.mark.parametrize("char", CONTROL)
def test_the_portal_upload_refuses_a_token_with_control_characters(engine, folio, char):
    # The upload's form is parsed by hand (review.uploads), so its one text field, the CSRF
    # token, is not checked by pydantic: a mangled one simply does not match.
    browser = _vendor_browser(engine)
    token = csrf_token(browser, "/portal/contrasena")
    response = browser.post(
        PORTAL_UPLOAD,
        data={CSRF_FIELD: token[:3] + char + token[3:]},
        files={"archivo": ("evidencias.xlsx", GOOD, "application/octet-stream")},
        follow_redirects=False,
    )
    assert response.status_code == 403 and "token de seguridad" in response.text
    _nothing_stored(engine)


@pytest.mark.parametrize(
    "disposition",
    [
        b'filename="evid\x00en\x1bcias\x7f.xlsx"',  # raw bytes, as a client may send them
        b"filename*=utf-8''evid%00en%1Bcias%7F.xlsx",  # RFC 2231, decoded by the parser
    ],
)
def test_a_control_character_in_the_file_name_is_replaced_not_refused(engine, folio, disposition):
    body = (
        b'--B\r\nContent-Disposition: form-data; name="archivo"; '
        + disposition
        + b"\r\n\r\n"
        + GOOD
        + b"\r\n--B--\r\n"
    )
    response = TestClient(create_app()).post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=B"},
        auth=AUTH,
    )
    assert response.status_code == 202, response.text
    assert response.json()["archivo"] == "evid_en_cias_.xlsx"
    with Session(engine) as session:
        [submission] = session.exec(select(EvidenceSubmission)).all()
        assert submission.original_name == "evid_en_cias_.xlsx"
        [uploaded] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "evidence.uploaded")
        ).all()
        assert uploaded.data is not None and uploaded.data["name"] == "evid_en_cias_.xlsx"


@pytest.mark.parametrize("token", ["abc\x00def", "abc\tdef", "ñ" * 50])
def test_an_odd_bearer_token_is_just_not_valid(settings, token):
    # A token never reaches the database (only its signed payload does): a 401 as for any other.
    response = TestClient(create_app()).get(
        "/api/v1/avisos", headers={"Authorization": f"Bearer {token}".encode("latin-1")}
    )
    assert response.status_code == 401 and response.json() == {"detail": "El token no es válido."}


def test_arbitrary_text_in_a_session_request_never_yields_a_500(engine, folio):
    app = create_app()
    # Any code point, surrogates and controls included, as JSON escapes or as raw UTF-8.
    chars = st.characters(exclude_categories=())
    text = st.text(chars, max_size=40)
    # Also of the lengths the model accepts, so that the text reaches the credential check.
    rfc_like, nrp_like = (
        st.text(chars, min_size=12, max_size=13),
        st.text(chars, min_size=11, max_size=11),
    )
    addresses = iter(range(1, 10**6))

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        rfc=st.one_of(text, rfc_like),
        password=text,
        nrp=st.one_of(text, nrp_like),
        patron=text,
        ascii_only=st.booleans(),
    )
    def check(rfc: str, password: str, nrp: str, patron: str, ascii_only: bool) -> None:
        body = {
            "desarrollador": {"rfc": rfc, "password": password},
            "patron": {"nrp": nrp, "password": patron},
        }
        raw = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        n = next(addresses)  # a new client each time, so throttling does not answer for it
        client = TestClient(app, client=(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", 1))
        response = client.post(
            "/api/v1/sesiones", content=raw, headers={"content-type": "application/json"}
        )
        assert response.status_code in (400, 401, 422), response.text
        detail = response.json()["detail"]
        assert detail.startswith(("Solicitud inválida", "Credenciales incorrectas", "El cuerpo"))

    check()


def test_arbitrary_multipart_bodies_never_yield_a_500(engine, folio):
    app = create_app()
    pieces = st.sampled_from(
        [
            b"--B\r\n",
            b"--B--\r\n",
            b"\r\n",
            b'Content-Disposition: form-data; name="archivo"',
            b'; filename="a\x00.xlsx"',
            b"; filename*=utf-8''%00%ff",
            b"Content-Type: x\r\n",
            b":",
            b"\x00",
            b"PK\x03\x04",
            b'name="rfc"\r\n\r\n',
        ]
    )
    bodies = st.lists(st.one_of(pieces, st.binary(max_size=20)), max_size=20).map(b"".join)

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies, boundary=st.sampled_from(["B", "B" * 257, "", '"B"', "B\x7f"]))
    def check(body: bytes, boundary: str) -> None:
        content_type = f"multipart/form-data; boundary={boundary}".encode("latin-1")
        response = TestClient(app).post(
            f"/api/v1/certificaciones/{folio}/evidencias",
            content=body,
            headers={"content-type": content_type},
            auth=AUTH,
        )
        assert response.status_code < 500, response.text

    check()


# Multipart, redirects, framework messages, body limits ---------------------------------------


def _long_boundary_body(boundary: str) -> bytes:
    return (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="archivo"; filename="e.xlsx"\r\n\r\n'
        f"PK\r\n--{boundary}--\r\n"
    ).encode()


def test_a_boundary_over_256_bytes_is_a_spanish_400(engine, folio):
    boundary = "x" * 300
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    client = TestClient(create_app())
    portal = _vendor_browser(engine).post(
        PORTAL_UPLOAD, content=_long_boundary_body(boundary), headers=headers
    )
    assert portal.status_code == 400
    assert "El cuerpo multipart/form-data está mal formado." in portal.text
    api = client.post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        content=_long_boundary_body(boundary),
        headers=headers,
        auth=AUTH,
    )
    assert api.status_code == 400
    assert api.json() == {"detail": "El cuerpo multipart/form-data está mal formado."}
    # Starlette's own form parser (the staff sign-in) says it in Spanish too.
    sign_in = client.post("/ingresar", content=_long_boundary_body(boundary), headers=headers)
    assert (
        sign_in.status_code == 400 and "El cuerpo de la solicitud está mal formado." in sign_in.text
    )
    _nothing_stored(engine)


def test_anonymous_panel_is_a_bare_redirect(settings):
    response = TestClient(create_app()).get("/panel", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ingresar"
    assert response.content == b"" and "content-type" not in response.headers


def test_framework_errors_are_spanish(settings):
    client = TestClient(create_app())
    checks = [
        (client.get("/api/v1/no-existe"), 404, {"detail": "No encontrado."}),
        (client.delete("/api/v1/sesiones"), 405, {"detail": "Método no permitido."}),
        (
            client.post(
                "/api/v1/sesiones", content=b"{no", headers={"content-type": "application/json"}
            ),
            422,
            {"detail": "Solicitud inválida: el cuerpo no es JSON válido."},
        ),
        (  # not UTF-8: FastAPI's "There was an error parsing the body"
            client.post(
                "/api/v1/sesiones",
                content=b'{"a": "\xff"}',
                headers={"content-type": "application/json"},
            ),
            400,
            {"detail": "El cuerpo de la solicitud está mal formado."},
        ),
    ]
    for response, status, body in checks:
        assert (response.status_code, response.json()) == (status, body)
    for page, status in [
        (client.get("/no-existe"), 404),
        (client.put("/panel"), 405),
        (
            client.post("/ingresar", content=b"x", headers={"content-type": "multipart/form-data"}),
            400,
        ),
    ]:
        assert page.status_code == status and page.headers["content-type"].startswith("text/html")
        assert 'lang="es-MX"' in page.text and not any(e in page.text for e in ENGLISH)


def test_bodies_over_the_limit_are_a_spanish_413(engine, folio):
    client = TestClient(create_app())
    huge = b" " * (30 * 1024 * 1024) + json.dumps(_session_body()).encode()
    refused = client.post(
        "/api/v1/sesiones", content=huge, headers={"content-type": "application/json"}
    )
    assert refused.status_code == 413 and refused.headers["connection"] == "close"
    assert refused.json() == {"detail": "El cuerpo de la solicitud excede el máximo de 64 KiB."}
    page = client.post("/ingresar", data={"email": "x" * BODY_LIMIT, "password": "y"})
    assert page.status_code == 413 and "excede el máximo de 64 KiB" in page.text
    # Just under the limit is read as usual.
    padded = b" " * (BODY_LIMIT - 1024) + json.dumps(_session_body()).encode()
    read = client.post(
        "/api/v1/sesiones", content=padded, headers={"content-type": "application/json"}
    )
    assert read.status_code == 401
    # The evidence uploads stream under their own limit (5 MiB), not this one.
    upload = client.post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        files={"archivo": ("e.xlsx", GOOD + b"\0" * (2 * BODY_LIMIT))},
        auth=AUTH,
    )
    assert upload.status_code == 202, upload.text
