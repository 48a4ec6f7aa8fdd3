import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from core.clock import travel_to
from core.config import get_settings
from core.security import hash_password
from core.storage import read_blob
from mailer.render import RenderedEmail, render
from mailer.secrets import unseal
from rules.calendar import MEXICO_CITY
from schema import (
    Certification,
    CertificationState,
    ClockKind,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Organization,
    OutboxEmail,
    Severity,
    SubmissionStatus,
    TestSet,
)
from tests.vendor import PASSWORD as VENDOR_PASSWORD
from workflow.certifications import request_certification
from workflow.clocks import current_clock
from workflow.dispatch import Dispatched, dispatch_test_set
from workflow.refusals import RequestRefused

PASSWORD_TAB = "«Servicios de Intercomunicación», pestaña «Generación de contraseña»"
SENT = datetime(2026, 1, 9, 17, 0, tzinfo=UTC)  # Fri 9 Jan 2026, 11:00 in Mexico City


def _id(value: int | None) -> int:
    assert value is not None
    return value


def _dispatch(session: Session, certification_id: int, at: datetime) -> Dispatched | None:
    with travel_to(at):
        return dispatch_test_set(session, certification_id)


def _request(session: Session) -> Certification:
    cert = request_certification(
        session,
        rfc="cac840428rh1",
        email="certificacion@nandu.example",
        razon_social="Nóminas Ñandú",
        actor="test",
    )
    session.commit()
    return cert


def _vendor(session: Session, cert: Certification) -> Organization:
    vendor = session.get(Organization, cert.vendor_id)
    assert vendor is not None
    return vendor


def _give_sia_password(session: Session, cert: Certification) -> None:
    """What the vendor does itself in the portal («Generación de contraseña»)."""
    vendor = _vendor(session, cert)
    vendor.sia_password_hash = hash_password(VENDOR_PASSWORD)
    session.add(vendor)
    session.commit()


def _rendered(email: OutboxEmail) -> RenderedEmail:
    return render(email.template, unseal(email.context))


def test_first_round_is_generated_emailed_and_timed(settings, engine):
    with Session(engine, expire_on_commit=False) as session:
        cert = _request(session)
        assert cert.state is CertificationState.SOLICITADA
        done = _dispatch(session, _id(cert.id), SENT)
        session.commit()
        assert done is not None and done.round == 1
        # DOMAIN §4: sent Fri 2026-01-09 → 45th business day 2026-03-17, end of day local.
        assert done.deadline.astimezone(MEXICO_CITY).date() == date(2026, 3, 17)
        reloaded = session.exec(select(Certification)).one()
        assert reloaded.state is CertificationState.EN_ESPERA_DE_DOCUMENTOS
        clock = current_clock(session, reloaded, ClockKind.EVIDENCIA)
        assert clock is not None and clock.due_at == done.deadline
        test_set = session.exec(select(TestSet)).one()
        assert test_set.round == 1 and test_set.document["desarrollador"]["rfc"] == "CAC840428RH1"
        assert test_set.answers and test_set.avisos_responses
        [email] = session.exec(select(OutboxEmail)).all()
    assert email.template == "set_de_pruebas" and email.recipients == [
        "certificacion@nandu.example"
    ]
    names = {a["filename"] for a in email.attachments}
    assert names == {"set-de-pruebas.json", "plantilla-evidencias.xlsx", "llave-publica.pem"}
    sent_set = json.loads(
        read_blob(
            next(a["path"] for a in email.attachments if a["filename"] == "set-de-pruebas.json")
        )
    )
    assert sent_set == test_set.document and "respuestas" not in json.dumps(sent_set)
    # One folio for the vendor: the email's is the file's, and the test set's own stays inside.
    assert sent_set["folio"] == email.context["folio"] == cert.folio != test_set.folio
    sandbox = email.context["sandbox"]
    assert sandbox["rfc"] == "CAC840428RH1" and sandbox["patron_password"]
    assert sandbox["nrp"] == test_set.patron_nrp


def test_a_vendor_without_sia_password_is_told_to_generate_it_not_given_one(settings, engine):
    with Session(engine, expire_on_commit=False) as session:
        cert = _request(session)
        _dispatch(session, _id(cert.id), SENT)
        session.commit()
        # The vendor generates its own password in the portal; dispatch never makes one.
        assert _vendor(session, cert).sia_password_hash is None
        email = session.exec(select(OutboxEmail)).one()
    assert email.context["sandbox"]["tiene_contrasena"] is False
    assert "password" not in email.context["sandbox"]
    message = _rendered(email)
    portal_url = get_settings().portal_url
    assert f"genérela en el portal ({portal_url}), en {PASSWORD_TAB}" in message.text
    assert f'<a href="{portal_url}"' in message.html and PASSWORD_TAB in message.html


def test_a_vendor_with_sia_password_does_not_get_it_by_email(settings, engine):
    with Session(engine, expire_on_commit=False) as session:
        cert = _request(session)
        _give_sia_password(session, cert)
        stored_hash = _vendor(session, cert).sia_password_hash
        _dispatch(session, _id(cert.id), SENT)
        session.commit()
        assert _vendor(session, cert).sia_password_hash == stored_hash
        email = session.exec(select(OutboxEmail)).one()
    assert email.context["sandbox"]["tiene_contrasena"] is True
    assert "password" not in email.context["sandbox"]
    message = _rendered(email)
    for part in (message.text, message.html):
        assert VENDOR_PASSWORD not in part and PASSWORD_TAB not in part
        assert "la que generó en el portal (por seguridad no se envía por correo)" in part


def test_dispatch_twice_sends_one_set_and_one_email(settings, engine):
    with Session(engine, expire_on_commit=False) as session:
        cert = _request(session)
        assert _dispatch(session, _id(cert.id), SENT) is not None
        session.commit()
        assert _dispatch(session, _id(cert.id), SENT) is None
        session.commit()
        assert len(session.exec(select(TestSet)).all()) == 1
        assert len(session.exec(select(OutboxEmail)).all()) == 1


def test_later_round_has_ten_days_reviewer_findings_and_no_vendor_password(settings, engine):
    with Session(engine, expire_on_commit=False) as session:
        cert = _request(session)
        _give_sia_password(session, cert)
        _dispatch(session, _id(cert.id), SENT)
        first_set = session.exec(select(TestSet)).one()
        submission = EvidenceSubmission(
            certification_id=_id(cert.id),
            test_set_id=_id(first_set.id),
            round=1,
            uploaded_by="vendor",
            size_bytes=1,
            sha256="0" * 64,
            original_name="e.xlsx",
            status=SubmissionStatus.REVISADA,
        )
        session.add(submission)
        session.flush()
        for source, code in (
            (FindingSource.REVISOR, "T4-SCHEMA"),
            (FindingSource.AUTOMATICO, "T2-TOTAL-MISMATCH"),
        ):
            session.add(
                Finding(
                    submission_id=_id(submission.id),
                    source=source,
                    code=code,
                    severity=Severity.ERROR,
                    message=f"mensaje {code}",
                )
            )
        cert.state = CertificationState.CON_INCONSISTENCIAS  # as after the reviewer's rejection
        session.add(cert)
        session.commit()
        done = _dispatch(session, _id(cert.id), datetime(2026, 3, 25, 17, tzinfo=UTC))
        session.commit()
        assert done is not None and done.round == 2
        assert done.deadline.astimezone(MEXICO_CITY).date() == date(2026, 4, 8)  # 10th business day
        session.refresh(cert)
        assert cert.round == 2 and cert.state is CertificationState.EN_ESPERA_DE_DOCUMENTOS
        second = session.exec(
            select(OutboxEmail).where(OutboxEmail.template == "inconsistencias")
        ).one()
    assert second.context["hallazgos"] == [{"codigo": "T4-SCHEMA", "mensaje": "mensaje T4-SCHEMA"}]
    assert second.context["sandbox"]["tiene_contrasena"] is True
    assert VENDOR_PASSWORD not in _rendered(second).text


def test_a_second_open_request_is_refused(settings, engine):
    with Session(engine) as session:
        _request(session)
        with pytest.raises(RequestRefused, match="ya tiene la solicitud"):
            _request(session)
        with pytest.raises(RequestRefused, match="correo"):
            request_certification(
                session,
                rfc="GODE561231GR8",
                email="nóminas@ñandú.example",
                razon_social=None,
                actor="t",
            )
        with pytest.raises(RequestRefused, match="RFC"):
            request_certification(
                session, rfc="XXX", email="a@b.example", razon_social=None, actor="t"
            )
