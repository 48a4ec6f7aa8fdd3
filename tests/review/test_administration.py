"""The administrator's pages (/panel/administracion/...): staff accounts, non-working days, dead
letters, queues and workers."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session, select

from core import config
from core.clock import utcnow
from core.config import Settings
from mailer.outbox import RELAY_TASK
from review.app import create_app
from review.deps import CSRF_FIELD
from rules.calendar import MEXICO_CITY, nth_business_day_after
from rules.formatting import fecha
from schema import (
    AuditEvent,
    Certification,
    ClockKind,
    NonWorkingDay,
    OutboxEmail,
    OutboxStatus,
    StaffRole,
    StaffUser,
)
from tests.conftest import point_celery_at
from tests.review.staff import csrf_token, sign_in
from tests.review.supervising import staff_member
from tests.vendor import STAFF_EMAIL, STAFF_PASSWORD
from workers.app import celery_config
from workflow.calendar import load_calendar
from workflow.clocks import current_clock

R = StaffRole
PAGE = "/panel/administracion"
STAFF = PAGE + "/personal"
CALENDAR = PAGE + "/calendario"
MAIL = PAGE + "/correos"
QUEUES = PAGE + "/colas"
PAGES = (PAGE, STAFF, CALENDAR, MAIL, QUEUES)


@pytest.fixture
def admin(settings, engine) -> StaffUser:
    return staff_member(engine, "admin@infonavit.example", R.ADMINISTRADOR, "Adela Admin")


@pytest.fixture
def client(admin) -> TestClient:
    signed_in = TestClient(create_app())
    sign_in(signed_in, email=admin.email)
    return signed_in


def person(email: str, password: str = STAFF_PASSWORD) -> TestClient:
    """A browser signed in as ``email``."""
    browser = TestClient(create_app())
    answer = sign_in(browser, email=email, password=password)
    assert answer.status_code == 200 and answer.url.path == "/panel", answer.text
    return browser


def signed_out(browser: TestClient) -> bool:
    answer = browser.get("/panel", follow_redirects=False)
    return bool(answer.status_code == 303 and answer.headers["location"] == "/ingresar")


def account(engine, email: str) -> StaffUser:
    with Session(engine) as session:
        return session.exec(select(StaffUser).where(StaffUser.email == email)).one()


def audited(engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_only_administrators_get_in(admin, reviewer, engine):
    supervisor = staff_member(engine, "sara@infonavit.example", R.SUPERVISOR)
    for email, code in ((STAFF_EMAIL, 403), (supervisor.email, 403), (admin.email, 200)):
        browser = person(email)
        for page in PAGES:
            answer = browser.get(page)
            assert answer.status_code == code, (email, page)
        if code == 403:
            assert "Su rol no tiene acceso a esta sección." in answer.text
    assert signed_out(TestClient(create_app()))
    for page in PAGES:
        anonymous = TestClient(create_app()).get(page, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/ingresar"


def test_the_life_of_a_staff_account(client, engine, admin):
    token = csrf_token(client, STAFF)
    created = client.post(
        STAFF,
        data={
            "email": "Rosa@Infonavit.Example",
            "nombre": "Rosa López",
            "rol": "revisor",
            "contrasena": STAFF_PASSWORD,
            CSRF_FIELD: token,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    rosa = account(engine, "rosa@infonavit.example")
    assert created.headers["location"] == f"{STAFF}?hecho=creada&cuenta={rosa.id}"
    assert (
        "Se creó la cuenta de Rosa López (rosa@infonavit.example)."
        in client.get(created.headers["location"]).text
    )

    # A new role applies at once: her open browser is signed out.
    browser = person("rosa@infonavit.example")
    promoted = client.post(f"{STAFF}/{rosa.id}/rol", data={"rol": "supervisor", CSRF_FIELD: token})
    assert "Rosa López tiene ahora el rol «supervisor»" in promoted.text
    assert account(engine, rosa.email).role is R.SUPERVISOR and signed_out(browser)

    # A password reset with a generated one shows it once, never cached, and it works.
    browser = person("rosa@infonavit.example")
    reset = client.post(f"{STAFF}/{rosa.id}/contrasena", data={"contrasena": "", CSRF_FIELD: token})
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    found = re.search(r"<code>([^<]+)</code>", reset.text)
    assert found and "no se volverá a mostrar" in reset.text
    assert signed_out(browser)
    assert sign_in(TestClient(create_app()), email=rosa.email).status_code == 401
    browser = person("rosa@infonavit.example", found.group(1))
    assert found.group(1) not in client.get(STAFF).text

    # Deactivated: signed out, and her password no longer opens a session.
    deactivated = client.post(f"{STAFF}/{rosa.id}/desactivar", data={CSRF_FIELD: token})
    assert "Se desactivó la cuenta de Rosa López y se cerraron sus sesiones." in deactivated.text
    assert signed_out(browser)
    assert (
        sign_in(TestClient(create_app()), email=rosa.email, password=found.group(1)).status_code
        == 401
    )

    reactivated = client.post(f"{STAFF}/{rosa.id}/reactivar", data={CSRF_FIELD: token})
    assert "Se reactivó la cuenta de Rosa López." in reactivated.text
    person("rosa@infonavit.example", found.group(1))

    actions = [
        e.action
        for e in audited(engine, "staff.created")
        + audited(engine, "staff.role_changed")
        + audited(engine, "staff.password_reset")
        + audited(engine, "staff.deactivated")
        + audited(engine, "staff.reactivated")
    ]
    assert actions == [
        "staff.created",
        "staff.role_changed",
        "staff.password_reset",
        "staff.deactivated",
        "staff.reactivated",
    ]
    assert {e.actor for e in audited(engine, "staff.signed_out_everywhere")} == {
        f"staff:{admin.id}"
    }


def test_a_generated_initial_password_is_shown_once(client, engine):
    token = csrf_token(client, STAFF)
    created = client.post(
        STAFF,
        data={
            "email": "luis@infonavit.example",
            "nombre": "Luis",
            "rol": "supervisor",
            CSRF_FIELD: token,
        },
    )
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    found = re.search(r"<code>([^<]+)</code>", created.text)
    assert found and len(found.group(1)) >= 20
    assert (
        person("luis@infonavit.example", found.group(1)).get("/panel/supervision").status_code
        == 200
    )


def test_self_deactivation_and_demotion_are_refused(client, engine, admin):
    token = csrf_token(client, STAFF)
    for path, data in (("desactivar", {}), ("rol", {"rol": "revisor"})):
        answer = client.post(f"{STAFF}/{admin.id}/{path}", data={**data, CSRF_FIELD: token})
        assert answer.status_code == 409
        assert "su propia cuenta; pídaselo a otra persona administradora" in answer.text
    me = account(engine, admin.email)
    assert me.is_active and me.role is R.ADMINISTRADOR
    assert client.get(STAFF).status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        (
            {"email": "ADMIN@infonavit.example"},
            409,
            "Ya existe una cuenta con el correo admin@infonavit.example.",
        ),
        ({"email": "sin-arroba"}, 422, "El correo «sin-arroba» no es válido"),
        ({"contrasena": "corta"}, 422, "La contraseña debe tener entre 12 y 1024 caracteres"),
        ({"rol": "jefe"}, 422, "Elija un rol de la lista"),
        ({"nombre": ""}, 422, "Escriba el nombre completo"),
    ],
)
def test_bad_new_accounts_are_refused_in_spanish_and_the_form_kept(
    client, engine, fields, code, message
):
    data = {
        "email": "otra@infonavit.example",
        "nombre": "Otra <Persona>",
        "rol": "revisor",
        **fields,
    }
    answer = client.post(STAFF, data={**data, CSRF_FIELD: csrf_token(client, STAFF)})
    assert answer.status_code == code and message in answer.text
    assert f'value="{escape(data["nombre"])}"' in answer.text  # the form is kept, escaped
    with Session(engine) as session:
        assert len(session.exec(select(StaffUser)).all()) == 1


def test_changes_without_the_csrf_token_are_refused_and_change_nothing(client, engine, reviewer):
    for path, data in (
        (STAFF, {"email": "x@infonavit.example", "nombre": "X", "rol": "revisor"}),
        (f"{STAFF}/{reviewer.id}/desactivar", {}),
        (CALENDAR, {"dia": "2026-06-10", "motivo": "Prueba"}),
    ):
        answer = client.post(path, data=data)
        assert answer.status_code == 403 and "token de seguridad" in answer.text
    with Session(engine) as session:
        assert len(session.exec(select(StaffUser)).all()) == 2
        assert session.get(NonWorkingDay, date(2026, 6, 10)) is None
    assert account(engine, STAFF_EMAIL).is_active


def evidence_due(engine, folio: str) -> date:
    with Session(engine) as session:
        certification = session.exec(
            select(Certification).where(Certification.folio == folio)
        ).one()
        clock = current_clock(session, certification, ClockKind.EVIDENCIA)
        assert clock is not None
        return clock.due_at.astimezone(MEXICO_CITY).date()


def test_a_day_added_and_removed_on_the_page_moves_a_running_deadline(client, engine, folio):
    before = evidence_due(engine, folio)
    with Session(engine) as session:
        today = utcnow().astimezone(MEXICO_CITY).date()
        day = nth_business_day_after(today, 3, load_calendar(session))
    token = csrf_token(client, CALENDAR)

    added = client.post(
        CALENDAR, data={"dia": day.isoformat(), "motivo": "Jueves Santo", CSRF_FIELD: token}
    )
    assert added.status_code == 200 and added.url.path == CALENDAR
    assert (
        f"Se agregó el {fecha(day)} como día inhábil; cambió la fecha límite de 1 plazo en curso."
        in added.text
    )
    assert "Jueves Santo" in added.text
    with Session(engine) as session:
        later = nth_business_day_after(before, 1, load_calendar(session))
    assert evidence_due(engine, folio) == later

    removed = client.post(f"{CALENDAR}/{day.isoformat()}/quitar", data={CSRF_FIELD: token})
    assert (
        f"El {fecha(day)} vuelve a ser día hábil; cambió la fecha límite de 1 plazo en curso."
        in removed.text
    )
    assert evidence_due(engine, folio) == before
    assert [e.data["day"] for e in audited(engine, "calendar.day_added")] == [day.isoformat()]
    assert len(audited(engine, "calendar.day_removed")) == 1


def test_calendar_refusals_are_shown_in_spanish(client, engine):
    token = csrf_token(client, CALENDAR)
    bad_date = client.post(CALENDAR, data={"dia": "31/02/2026", "motivo": "x", CSRF_FIELD: token})
    assert bad_date.status_code == 422 and "La fecha «31/02/2026» no es válida" in bad_date.text
    statutory = client.post(CALENDAR, data={"dia": "2026-09-16", "motivo": "x", CSRF_FIELD: token})
    assert (
        statutory.status_code == 409 and "es día de descanso obligatorio por ley" in statutory.text
    )
    no_reason = client.post(CALENDAR, data={"dia": "2026-06-10", "motivo": " ", CSRF_FIELD: token})
    assert no_reason.status_code == 422 and "Indique el motivo del día inhábil." in no_reason.text
    not_there = client.post(f"{CALENDAR}/2026-06-10/quitar", data={CSRF_FIELD: token})
    assert not_there.status_code == 404 and "no está en el calendario" in not_there.text
    law = client.post(f"{CALENDAR}/2026-12-25/quitar", data={CSRF_FIELD: token})
    assert law.status_code == 409 and "no se puede quitar" in law.text
    year = client.get(CALENDAR, params={"anio": "2026"}).text
    assert "16/sep/2026" in year and "Por ley" in year
    assert client.get(CALENDAR, params={"anio": "1800"}).status_code == 422


def dead_letter(engine) -> int:
    row = OutboxEmail(
        idempotency_key="certification:7:approved:1",
        message_id="<muerto@infonavit.example>",
        template="aprobacion",
        recipients=["certificacion@nandu.example"],
        context={},
        status=OutboxStatus.FALLIDO,
        attempts=8,
        last_error="550 5.1.1 <certificacion@nandu.example>: buzón inexistente",
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def test_a_dead_letter_is_listed_and_retried_once(client, engine, admin, sent_tasks):
    email_id = dead_letter(engine)
    listed = client.get(MAIL).text
    assert "aprobacion" in listed and "certification:7:approved:1" in listed
    assert "550 5.1.1 &lt;certificacion@nandu.example&gt;: buzón inexistente" in listed

    token = csrf_token(client, MAIL)
    retried = client.post(
        f"{MAIL}/{email_id}/reintentar", data={CSRF_FIELD: token}, follow_redirects=False
    )
    assert (
        retried.status_code == 303
        and retried.headers["location"] == f"{MAIL}?reintentado={email_id}"
    )
    shown = client.get(retried.headers["location"]).text
    assert f"El correo {email_id} («aprobacion») volvió a la cola de envío" in shown
    assert "No hay correos fallidos." in shown
    with Session(engine) as session:
        row = session.get(OutboxEmail, email_id)
        assert row is not None and row.status is OutboxStatus.PENDIENTE and row.attempts == 0
    assert (RELAY_TASK, ()) in sent_tasks

    # A second click (or a second administrator) finds it pending already: nothing more.
    client.post(f"{MAIL}/{email_id}/reintentar", data={CSRF_FIELD: token})
    (event,) = audited(engine, "outbox.requeued")
    assert event.actor == f"staff:{admin.id}" and event.data["attempts"] == 8

    missing = client.post(f"{MAIL}/999999/reintentar", data={CSRF_FIELD: token})
    assert missing.status_code == 404 and "No existe el correo 999999" in missing.text


def test_queues_with_the_embedded_broker(client):
    page = client.get(QUEUES)
    assert page.status_code == 200
    for queue in ("default", "mail", "evidence"):
        assert f"<td>{queue}</td>" in page.text
    assert "broker de archivos" in page.text and "SIA_FLOWER_URL" in page.text


def test_an_unreachable_broker_is_a_spanish_line_not_an_error(
    client, monkeypatch, settings: Settings
):
    monkeypatch.setenv("SIA_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("SIA_FLOWER_URL", "https://flower.infonavit.example/")
    config.get_settings.cache_clear()
    point_celery_at(celery_config(config.get_settings()))
    page = client.get(QUEUES)
    assert page.status_code == 200
    assert "No se pudo consultar el broker" in page.text and 'role="alert"' in page.text
    assert 'href="https://flower.infonavit.example/"' in page.text
    assert 'href="https://flower.infonavit.example/"' in client.get(PAGE).text


def test_the_overview_counts_what_needs_attention(client, engine, reviewer):
    dead_letter(engine)
    overview = client.get(PAGE).text
    assert "2 cuenta(s) activa(s) de 2" in overview
    assert '<span class="badge alerta">1</span> correo(s) no se pudieron enviar.' in overview
