"""The «Certificación (Desarrolladores)» tab (DOMAIN §2–§3), as the certification guide shows it:
a progress bar of two steps, «Solicitud de Certificación» and «Seguimiento a Certificación».

What its pages share lives here: the paths, the page frame with the progress bar, the e.firma
form in the guide's words, the follow-up page (also the page on which a refusal of a later step is
shown) and the answer to a «Continuar» whose signature is gone. The routes are in
``certification_request`` (step 1), ``certification_follow_up`` (step 2: status, test sets,
evidence) and ``certification_signing`` (the approval and the cancellation).

Each POST commits the workflow's transaction, or rolls it back on a refusal and shows the page
again with the Spanish message and its status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from review.pages.portal.documents import LABELS, download_path
from review.pages.portal.shared import EFirmaPage, portal_context
from review.refusals import http_status
from review.templating import render
from rules.testsets.generate import TEMPLATE_FILE, TEST_SET_FILE
from schema import Document, DocumentKind, SubmissionStatus
from workflow.certifications import CLOSED
from workflow.portal.accounts import SignedInCompany
from workflow.portal.certification import efirma_shown, require_efirma_shown
from workflow.portal.follow_up import FollowUp, follow_up
from workflow.refusals import CertificationRefused

TAB = "/portal/certificacion"
REQUEST_TERMS = TAB + "/terminos"
REQUEST_EFIRMA = TAB + "/efirma"
REQUEST_CONFIRM = TAB + "/confirmar"
FOLLOW_UP = TAB + "/seguimiento"
FOLLOW_UP_EFIRMA = FOLLOW_UP + "/efirma"
UPLOAD = TAB + "/evidencias"
TEST_SETS = TAB + "/sets"
APPROVAL = TAB + "/aprobacion"
APPROVAL_TERMS = APPROVAL + "/terminos"
APPROVAL_EFIRMA = APPROVAL + "/efirma"
APPROVAL_CONFIRM = APPROVAL + "/confirmar"
CANCEL = TAB + "/cancelar"
CANCEL_EFIRMA = CANCEL + "/efirma"
CANCEL_CONFIRM = CANCEL + "/confirmar"

# The two steps of the progress bar.
REQUEST_STEP, FOLLOW_UP_STEP = 1, 2

TERMS_REQUIRED = "Para continuar, marque «He leído y acepto las condiciones de este servicio»."

# What a redirect to the follow-up page announces (?aviso=…), so that reloading it repeats
# nothing.
SIGNATURE_USED = "firma-usada"
NOTICES = {SIGNATURE_USED: "Esta firma ya se había usado; este es el estatus actual."}

# The link of each signed document of the tab, in the guide's words.
DOWNLOAD_LABELS: dict[DocumentKind, str] = {
    DocumentKind.ACUSE_SOLICITUD: "Descargar responsiva",
    DocumentKind.ACUSE_APROBACION: "Descargar responsiva",
    DocumentKind.ACUSE_CANCELACION: "Descargar acuse de cancelación",
}

# How the vendor's files read in «Seguimiento a Certificación». Content findings stay with the
# reviewer (DOMAIN §9): an accepted file says only that it went to review.
SUBMISSION_LABELS: dict[SubmissionStatus, str] = {
    SubmissionStatus.RECIBIDA: "En lectura",
    SubmissionStatus.ILEGIBLE: "Rechazado: no se pudo leer",
    SubmissionStatus.ACEPTADA: "Aceptado para revisión",
    SubmissionStatus.DESCARTADA: "Descartado: la certificación se canceló",
    SubmissionStatus.REVISADA: "Revisado",
}


def test_set_path(folio: str, name: str) -> str:
    return f"{TEST_SETS}/{folio}/{name}"


def submission_path(submission_id: int | None) -> str:
    return f"{UPLOAD}/{submission_id}"


def documents_shown(documents: tuple[Document, ...] | list[Document]) -> list[dict[str, Any]]:
    return [
        {
            "document": document,
            "label": LABELS.get(document.kind, "Documento firmado"),
            "link": DOWNLOAD_LABELS.get(document.kind, "Descargar PDF"),
            "href": download_path(document),
        }
        for document in documents
    ]


def page(
    request: Request,
    company: SignedInCompany,
    template: str,
    context: dict[str, Any] | None = None,
    code: int = status.HTTP_200_OK,
    *,
    step: int,
) -> HTMLResponse:
    frame = {**portal_context(company, "certificacion"), "step": step}
    return render(request, template, {**frame, **(context or {})}, code)


@dataclass(frozen=True)
class EFirmaForm(EFirmaPage):
    """«Agrega los archivos de la e.firma» of one step: where it goes, what it carries on."""

    action: str
    step: int
    heading: str
    intro: str
    back: str | None  # where «Regresar» leads, if anywhere
    hidden: dict[str, str] = field(default_factory=dict)

    def show(
        self,
        request: Request,
        company: SignedInCompany,
        *,
        error: str | None = None,
        notice: str | None = None,
        code: int = status.HTTP_200_OK,
    ) -> HTMLResponse:
        context = {"form": self, "error": error, "notice": notice}
        return page(
            request, company, "portal/certificacion_efirma.html", context, code, step=self.step
        )


FOLLOW_UP_FORM = EFirmaForm(
    action=FOLLOW_UP_EFIRMA,
    step=FOLLOW_UP_STEP,
    heading="Seguimiento a Certificación",
    intro=(
        "Para consultar el estatus de su certificación y enviar sus evidencias, valide la "
        "e.firma de su empresa. Se pide una vez por sesión; la clave privada no se guarda."
    ),
    back=None,  # the tab's entry would only lead back here
)


def efirma_missing(request: Request, company: SignedInCompany) -> HTMLResponse | None:
    """The follow-up's e.firma form (403, with why) when this session has not shown it yet:
    every step inside the follow-up needs it, as the guide shows them inside the same tab."""
    try:
        require_efirma_shown(company.row)
    except CertificationRefused as exc:
        return FOLLOW_UP_FORM.show(request, company, error=str(exc), code=http_status(exc))
    return None


def follow_up_page(
    request: Request,
    session: Session,
    company: SignedInCompany,
    *,
    error: str | None = None,
    notice: str | None = None,
    code: int = status.HTTP_200_OK,
) -> Response:
    """«Seguimiento a Certificación»: behind the e.firma once per session, as the guide shows
    it; a vendor without any certification is sent to the request."""
    shown = follow_up(session, company.organization)
    if shown is None:
        return RedirectResponse(TAB, status_code=status.HTTP_303_SEE_OTHER)
    if not efirma_shown(company.row):
        return FOLLOW_UP_FORM.show(request, company, error=error, notice=notice, code=code)
    context = {
        "shown": shown,
        "rounds": _rounds(shown),
        "documents": documents_shown(shown.documents),
        "date": shown.certification.state_changed_at or shown.certification.requested_at,
        "closed": shown.certification.state in CLOSED,
        "error": error,
        "notice": notice,
    }
    return page(
        request,
        company,
        "portal/certificacion_seguimiento.html",
        context,
        code,
        step=FOLLOW_UP_STEP,
    )


def _rounds(shown: FollowUp) -> list[dict[str, Any]]:
    return [
        {
            "round": round_,
            "json": round_.test_set and test_set_path(round_.test_set.folio, TEST_SET_FILE),
            "xlsx": round_.test_set and test_set_path(round_.test_set.folio, TEMPLATE_FILE),
            "submissions": [
                {
                    "submission": submission,
                    "label": SUBMISSION_LABELS.get(submission.status, submission.status.value),
                    "href": submission_path(submission.id),
                }
                for submission in round_.submissions
            ],
        }
        for round_ in shown.rounds
    ]


def to_follow_up(notice: str | None = None) -> RedirectResponse:
    target = f"{FOLLOW_UP}?aviso={notice}" if notice else FOLLOW_UP
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def signature_gone() -> RedirectResponse:
    """A «Continuar» whose signature was already taken: a double submit, or the page sent again
    from the history. The first one did the step; show where the certification stands now."""
    return to_follow_up(SIGNATURE_USED)
