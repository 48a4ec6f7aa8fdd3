"""A desarrollador going through «Certificación (Desarrolladores)» in the portal's pages, the way
a browser does; what the tasks and the reviewer do meanwhile is done here directly (the dispatch
of the test set, the examination of an upload, the reviewer's decision)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from review.deps import CSRF_FIELD
from schema import Certification, Organization, ReviewDecision, StaffUser
from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import Files, Lab
from tests.review.portal.companies import (
    RFC_A,
    Company,
    hidden_fields,
    organization,
    signed_in_company,
)
from tests.review.reviewing import round_of, workbook
from tests.workflow.portal.helpers import decide_round
from workers.tasks.evidence import examine
from workflow.decisions import Decision
from workflow.dispatch import dispatch_test_set

TAB = "/portal/certificacion"
FOLLOW_UP = TAB + "/seguimiento"
UPLOAD = TAB + "/evidencias"
VENDOR_EMAIL = "certificacion@nominas-a.example"
SIGNATURE_USED = "Esta firma ya se había usado; este es el estatus actual"


def vendor(lab: Lab, engine: Engine, **kwargs: Any) -> Company:
    """A desarrollador registered, confirmed and signed in (no SIA password yet)."""
    values: dict[str, Any] = {
        "kind": "desarrollador",
        "company_rfc": RFC_A,
        "nrp": "",
        "email": VENDOR_EMAIL,
        **kwargs,
    }
    return signed_in_company(lab, engine, **values)


def csrf(company: Company) -> str:
    """The session's token (every page of the service has it, in its «Salir» form)."""
    return hidden_fields(company.browser.get("/portal/contrasena").text)[CSRF_FIELD]


def efirma_files(files: Files) -> dict[str, tuple[str, bytes, str]]:
    return {
        "cer": ("efirma.cer", files.cer, "application/octet-stream"),
        "key": ("efirma.key", files.key, "application/octet-stream"),
    }


def post(company: Company, path: str, **data: str) -> httpx.Response:
    response: httpx.Response = company.browser.post(
        path, data={CSRF_FIELD: csrf(company), **data}, follow_redirects=False
    )
    return response


def post_efirma(
    company: Company,
    path: str,
    *,
    files: Files | None = None,
    password: str = EFIRMA_PASSWORD,
    **data: str,
) -> httpx.Response:
    """«Validar» of an e.firma form (``data``: its hidden fields)."""
    response: httpx.Response = company.browser.post(
        path,
        data={CSRF_FIELD: csrf(company), "password": password, **data},
        files=efirma_files(files or company.files),
        follow_redirects=False,
    )
    return response


def continuar(company: Company, path: str, validated: httpx.Response) -> httpx.Response:
    """«Continuar» with the token of the page «Validar» answered."""
    return post(company, path, token=hidden_fields(validated.text)["token"])


def generate_sia_password(company: Company) -> None:
    """«Generación de contraseña» through its pages."""
    assert post(company, "/portal/contrasena/terminos", acepto="1").status_code == 200
    validated = post_efirma(company, "/portal/contrasena/efirma", acepto="1")
    assert validated.status_code == 200, validated.text
    done = continuar(company, "/portal/contrasena/confirmar", validated)
    assert done.status_code == 200, done.text


def vendor_with_password(lab: Lab, engine: Engine, **kwargs: Any) -> Company:
    company = vendor(lab, engine, **kwargs)
    generate_sia_password(company)
    return company


def validate_request(company: Company) -> httpx.Response:
    """Terms accepted, then «Validar»: the «Solicitud del Trámite» page."""
    accepted = post(company, TAB + "/terminos", acepto="1")
    assert accepted.status_code == 200, accepted.text
    validated = post_efirma(company, TAB + "/efirma", acepto="1")
    assert validated.status_code == 200, validated.text
    return validated


def request_certification(company: Company) -> httpx.Response:
    """«Solicitud de Certificación» to the end: the page with «Descargar responsiva»."""
    done = continuar(company, TAB + "/confirmar", validate_request(company))
    assert done.status_code == 200, done.text
    return done


def certification_of(engine: Engine, company_rfc: str = RFC_A) -> Certification:
    """The vendor's latest certification."""
    with Session(engine) as session:
        certification = session.exec(
            select(Certification)
            .join(Organization, col(Organization.id) == Certification.vendor_id)
            .where(Organization.rfc == company_rfc)
            .order_by(col(Certification.id).desc())
        ).first()
        assert certification is not None
        return certification


def certifications(engine: Engine, company_rfc: str = RFC_A) -> int:
    vendor_id = organization(engine, company_rfc).id
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(Certification)
            .where(Certification.vendor_id == vendor_id)
        ).one()


def dispatch(engine: Engine, company_rfc: str = RFC_A) -> Certification:
    """The dispatch task's work: the round's test set goes out (`En espera de documentos`)."""
    certification_id = certification_of(engine, company_rfc).id
    assert certification_id is not None
    with Session(engine) as session:
        assert dispatch_test_set(session, certification_id) is not None
        session.commit()
    return certification_of(engine, company_rfc)


def show_efirma(company: Company, files: Files | None = None) -> httpx.Response:
    """«Seguimiento a Certificación» asks for the e.firma once per session."""
    return post_efirma(company, FOLLOW_UP + "/efirma", files=files)


def waiting_for_documents(lab: Lab, engine: Engine, **kwargs: Any) -> Company:
    """A vendor that requested its certification through the pages, whose test set went out,
    and which showed its e.firma in «Seguimiento a Certificación»."""
    company = vendor_with_password(lab, engine, **kwargs)
    request_certification(company)
    dispatch(engine, company.rfc)
    assert show_efirma(company).status_code == 303
    return company


def upload(
    company: Company, data: bytes, filename: str = "evidencias.xlsx", **kwargs: Any
) -> httpx.Response:
    """«Enviar archivo» of the follow-up page."""
    response: httpx.Response = company.browser.post(
        UPLOAD,
        data={CSRF_FIELD: csrf(company)},
        files={"archivo": (filename, data, "application/octet-stream")},
        follow_redirects=False,
        **kwargs,
    )
    return response


def submission_id(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(UPLOAD + "/"), location
    return int(location.rsplit("/", 1)[1])


def correct_workbook(engine: Engine, company_rfc: str = RFC_A) -> bytes:
    return workbook(round_of(engine, certification_of(engine, company_rfc).folio))


def in_review(engine: Engine, company: Company) -> int:
    """The round's correct workbook sent through the page and examined: `En análisis`."""
    sent = submission_id(upload(company, correct_workbook(engine, company.rfc)))
    assert examine(sent) is not None
    assert certification_of(engine, company.rfc).state.label == "En análisis"
    return sent


def decide(engine: Engine, company: Company, reviewer: StaffUser, decision: Decision) -> None:
    decide_round(engine, certification_of(engine, company.rfc).folio, reviewer, decision)


def approved(lab: Lab, engine: Engine, reviewer: StaffUser, **kwargs: Any) -> Company:
    """A vendor whose evidence a reviewer approved: `Aprobada, pendiente de firma`."""
    company = waiting_for_documents(lab, engine, **kwargs)
    in_review(engine, company)
    decide(engine, company, reviewer, Decision(ReviewDecision.APROBADA))
    return company
