"""Everything the certification page shows a reviewer, read in a fixed number of queries.

The page must stay fast with any number of certifications in the database, so every query here
is by the certification's own keys (folio, id, its submissions' ids) through an index, and the
count of queries does not grow with its rounds, submissions, findings or audit events. The
stored files a page links to (workbook, screenshots) are found only through the submission's
own record, never through a path a client sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import PurePosixPath
from typing import Any

from sqlmodel import Session, col, select

from core.keys import avisos_keypair
from core.storage import BlobMissing, read_blob
from evidence.cfdi_fields import ShownCfdi, show_cfdi
from evidence.checks.explain import CaseExplanation, explain_round
from evidence.checks.json_responses import response_problem
from evidence.checks.round import Round, build_round
from evidence.checks.side_by_side import CaseSide, side_by_side
from evidence.comparison import Change, compare_submissions
from evidence.findings import Finding as CheckFinding
from evidence.formats.detect import WorkbookFormat
from evidence.tabs.calculations import CalculationsTab
from evidence.tabs.json_responses import JsonDocument
from evidence.verdict import Verdict
from schema import (
    AuditEvent,
    Certification,
    CertificationState,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Organization,
    Review,
    ReviewDecision,
    Severity,
    StaffUser,
    SubmissionStatus,
    TestSet,
)
from workflow.calendar import load_calendar
from workflow.clocks import Deadline, deadlines
from workflow.decisions import REVIEWABLE
from workflow.dispatch import XLSX
from workflow.evidence import submission_blob

SUBMISSION_STATUSES = {
    SubmissionStatus.RECIBIDA: "En lectura",
    SubmissionStatus.ILEGIBLE: "Rechazada por ilegible",
    SubmissionStatus.ACEPTADA: "Aceptada, en análisis",
    SubmissionStatus.DESCARTADA: "Descartada (certificación cancelada)",
    SubmissionStatus.REVISADA: "Revisada",
}
DECISIONS = {
    ReviewDecision.APROBADA: "Aprobada",
    ReviewDecision.CON_INCONSISTENCIAS: "Rechazada con inconsistencias",
}
TABS = {
    None: "Libro",
    1: "Pestaña 1 · JSON",
    2: "Pestaña 2 · Cálculos",
    3: "Pestaña 3 · Pantallas",
    4: "Pestaña 4 · CFDI",
}
WORKBOOK_TYPES = {
    WorkbookFormat.XLSX.value: XLSX,
    WorkbookFormat.XLS.value: "application/vnd.ms-excel",
}
IMAGE_TYPES = {".png": "image/png", ".jpeg": "image/jpeg", ".jpg": "image/jpeg"}


# --- the timeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    description: str
    actor: str
    states: tuple[str, str] | None  # labels of the state left and the state entered
    reason: str | None


def _count(n: object, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _reminder(data: Mapping[str, Any]) -> str:
    days = data.get("threshold")
    when = "en el último día" if days == 0 else f"a {_count(days, 'día hábil', 'días hábiles')}"
    return f"Recordatorio de plazo enviado al desarrollador ({when} del vencimiento)"


def _checked(data: Mapping[str, Any]) -> str:
    verdict = Verdict(data["verdict"]).label if "verdict" in data else None
    return (
        f"Revisión automática: {verdict or 'sin veredicto'}, "
        f"{_count(data.get('errors', 0), 'error', 'errores')}, "
        f"{_count(data.get('warnings', 0), 'advertencia', 'advertencias')}"
    )


_Describe = Callable[[Mapping[str, Any], Callable[[object], str]], str]

_ACTIONS: dict[str, _Describe] = {
    "certification.requested": lambda d, _: "Solicitud de certificación registrada",
    "certification.test_set_sent": lambda d, _: (
        f"Set de pruebas de la ronda {d.get('round')} enviado al desarrollador"
    ),
    "certification.evidence_accepted": lambda d, _: "Evidencia aceptada para análisis",
    "certification.approved": lambda d, _: "Aprobada por el revisor",
    "certification.rejected": lambda d, _: "Rechazada con inconsistencias",
    "certification.terms_signed": lambda d, _: "Términos de aprobación firmados: certificada",
    "certification.expired": lambda d, _: "Venció el plazo de entrega de evidencias",
    "certification.cancelled": lambda d, _: "Cancelada por el desarrollador",
    "certification.assigned": lambda d, name: (
        f"Asignada para revisión a {name(d['to'])}"
        if d.get("to") is not None
        else "Quedó sin revisor asignado: no hay revisores activos"
    ),
    "certification.reassigned": lambda d, name: (
        f"Reasignada de {name(d.get('from'))} a {name(d.get('to'))}"
    ),
    "evidence.uploaded": lambda d, _: f"Evidencia recibida: «{d.get('name')}»",
    "evidence.checked": lambda d, _: _checked(d),
    "evidence.check_failed": lambda d, _: (
        "La revisión automática no pudo completarse; la evidencia pasa a revisión sin veredicto"
    ),
    "evidence.refused": lambda d, _: (
        f"Evidencia rechazada por ilegible ({', '.join(d.get('codes', []))})"
    ),
    "deadline.reminder_sent": lambda d, _: _reminder(d),
    "deadline.reminder_skipped": lambda d, _: (
        "Recordatorio de plazo omitido: llegó fuera de tiempo"
    ),
    "deadline.recomputed": lambda d, _: (
        "Plazo recalculado por un cambio en el calendario de días inhábiles"
    ),
    "review.sla_breached": lambda d, _: "Venció el plazo de revisión; se avisó a supervisión",
}


def _staff_id(actor: str) -> int | None:
    kind, _, number = actor.partition(":")
    return int(number) if kind == "staff" and number.isdigit() else None


def _actor_ids(events: Iterable[AuditEvent]) -> set[int]:
    ids = set()
    for event in events:
        ids.add(_staff_id(event.actor))
        if event.action in ("certification.assigned", "certification.reassigned"):
            ids |= {event.data.get("from"), event.data.get("to")}
    return {i for i in ids if isinstance(i, int)}


def _timeline(events: Sequence[AuditEvent], names: Mapping[int, str]) -> tuple[TimelineEntry, ...]:
    def name(staff_id: object) -> str:
        if staff_id is None:
            return "nadie"
        return names.get(staff_id, f"personal {staff_id}") if isinstance(staff_id, int) else "?"

    def actor(who: str) -> str:
        staff_id = _staff_id(who)
        if staff_id is not None:
            return name(staff_id)
        kind, _, rest = who.partition(":")
        return {
            "system": "Sistema",
            "cli": "Línea de comandos",
            "vendor": f"Desarrollador {rest}",
        }.get(kind, who)

    entries = []
    for event in events:
        describe = _ACTIONS.get(event.action)
        states = None
        if event.from_state and event.to_state:
            states = (
                CertificationState(event.from_state).label,
                CertificationState(event.to_state).label,
            )
        entries.append(
            TimelineEntry(
                event.occurred_at,
                describe(event.data, name) if describe else event.action,
                actor(event.actor),
                states,
                event.reason,
            )
        )
    return tuple(entries)


# --- submissions and their evidence -----------------------------------------------------------


@dataclass(frozen=True)
class SubmissionView:
    submission: EvidenceSubmission
    findings: tuple[Finding, ...]
    review: Review | None
    reviewer: str | None  # who decided on it

    @property
    def automatic(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.source is FindingSource.AUTOMATICO)

    @property
    def reviewer_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.source is FindingSource.REVISOR)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.automatic if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.automatic if f.severity is Severity.WARNING)

    @property
    def by_tab(self) -> list[tuple[str, list[Finding]]]:
        """Automatic findings grouped by tab (the workbook's own first), in the order found."""
        groups: dict[int | None, list[Finding]] = {}
        for f in self.automatic:
            groups.setdefault(f.tab if f.tab in TABS else None, []).append(f)
        return [(TABS[tab], groups[tab]) for tab in TABS if tab in groups]

    @property
    def status(self) -> str:
        return SUBMISSION_STATUSES[self.submission.status]

    @property
    def verdict(self) -> str | None:
        verdict = self.submission.verdict
        return verdict.label if verdict else None


@dataclass(frozen=True)
class ResponseShown:
    """One JSON response of tab 1 and whether it is a signed response of this round."""

    zip: str
    path: str
    text: str
    consulta: object
    avisos: int
    problem: CheckFinding | None


@dataclass(frozen=True)
class Screenshot:
    number: int  # 1-based, as in its URL
    name: str
    width: object
    height: object


@dataclass(frozen=True)
class StoredCfdi:
    source: str
    shown: ShownCfdi | None  # None when its stored copy cannot be read


@dataclass(frozen=True)
class EvidenceDetail:
    zips: tuple[str, ...]
    responses: tuple[ResponseShown, ...]
    calculations: tuple[CaseSide, ...] | None  # None when tab 2 was not read
    screenshots: tuple[Screenshot, ...]
    cfdis: tuple[StoredCfdi, ...] | None  # None for an examination that kept no XML copy
    cfdis_read: int | None  # documents tab 4 held; None when it could not be read


def _responses(tab: Mapping[str, Any] | None, round_: Round) -> tuple[ResponseShown, ...]:
    if not tab:
        return ()
    public_key = avisos_keypair()[1]
    shown = []
    for item in tab["documents"]:
        document = JsonDocument(item["zip"], item["path"], item["document"])
        avisos = document.document.get("avisos")
        shown.append(
            ResponseShown(
                document.zip_name,
                document.path,
                json.dumps(document.document, ensure_ascii=False, indent=2),
                document.document.get("folioConsulta"),
                len(avisos) if isinstance(avisos, list) else 0,
                response_problem(document, round_, public_key),
            )
        )
    return tuple(shown)


def _screenshots(reading: Mapping[str, Any]) -> tuple[Screenshot, ...]:
    images = ((reading.get("tabs") or {}).get("3") or {}).get("images", [])
    shots = []
    for number, stored in enumerate(reading.get("capturas") or [], start=1):
        image = images[number - 1] if number <= len(images) else {}
        shots.append(
            Screenshot(
                number,
                stored.get("nombre") or f"captura {number}",
                image.get("width"),
                image.get("height"),
            )
        )
    return tuple(shots)


def _cfdi(stored: Mapping[str, Any]) -> StoredCfdi:
    try:
        shown: ShownCfdi | None = show_cfdi(read_blob(stored["archivo"]))
    except (OSError, ValueError):
        shown = None
    return StoredCfdi(stored.get("origen", ""), shown)


def _detail(submission: EvidenceSubmission, test_set: TestSet) -> EvidenceDetail:
    reading = submission.reading or {}
    tabs = reading.get("tabs") or {}
    round_ = build_round(test_set.document, test_set.answers, test_set.avisos_responses)
    calculations = tabs.get("2")
    kept = reading.get("cfdi")
    return EvidenceDetail(
        zips=tuple((tabs.get("1") or {}).get("zips", [])),
        responses=_responses(tabs.get("1"), round_),
        calculations=(
            side_by_side(round_, CalculationsTab.from_json(calculations)) if calculations else None
        ),
        screenshots=_screenshots(reading),
        cfdis=None if kept is None else tuple(_cfdi(item) for item in kept),
        cfdis_read=len(tabs["4"]["documents"]) if tabs.get("4") else None,
    )


# --- the page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundHistory:
    round: int
    submissions: tuple[SubmissionView, ...]


@dataclass(frozen=True)
class Comparison:
    before: SubmissionView
    after: SubmissionView
    change: Change[Finding]


@dataclass(frozen=True)
class CertificationView:
    certification: Certification
    vendor: Organization
    reviewer: str | None  # the assigned reviewer's name
    deadlines: tuple[Deadline, ...]  # the running ones
    timeline: tuple[TimelineEntry, ...]
    test_set: TestSet | None  # the current round's
    explanations: tuple[CaseExplanation, ...]
    cfdi_case: str | None
    current: SubmissionView | None  # the current round's submission under review or last seen
    detail: EvidenceDetail | None
    rounds: tuple[RoundHistory, ...]  # oldest first
    comparisons: tuple[Comparison, ...]

    @property
    def explanation_of(self) -> dict[str, CaseExplanation]:
        return {explanation.caso: explanation for explanation in self.explanations}

    @property
    def can_decide(self) -> bool:
        return (
            self.certification.state is CertificationState.EN_ANALISIS
            and self.current is not None
            and self.current.submission.status is SubmissionStatus.ACEPTADA
        )


def _current(submissions: Sequence[SubmissionView], round_: int) -> SubmissionView | None:
    """The newest reviewable upload of the round, else its newest upload of any kind."""
    of_round = [s for s in submissions if s.submission.round == round_]
    reviewable = [s for s in of_round if s.submission.status in REVIEWABLE]
    latest = reviewable or of_round
    return latest[-1] if latest else None


def _comparisons(submissions: Sequence[SubmissionView]) -> tuple[Comparison, ...]:
    reviewable = [s for s in submissions if s.submission.status in REVIEWABLE]
    return tuple(
        Comparison(before, after, compare_submissions(before.automatic, after.automatic))
        for before, after in pairwise(reviewable)
    )


def certification_view(session: Session, folio: str, now: datetime) -> CertificationView | None:
    """The page of the certification ``folio``; None when there is no such certification."""
    found = session.exec(
        select(Certification, Organization)
        .join(Organization, col(Organization.id) == Certification.vendor_id)
        .where(Certification.folio == folio)
    ).first()
    if found is None:
        return None
    certification, vendor = found
    assert certification.id is not None
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "certification", AuditEvent.entity_id == certification.id)
        # Ids follow the chain, the order events were written in; two events of one
        # transaction may carry occurred_at values out of that order.
        .order_by(col(AuditEvent.id))
    ).all()
    uploads = session.exec(
        select(EvidenceSubmission)
        .where(EvidenceSubmission.certification_id == certification.id)
        .order_by(col(EvidenceSubmission.id))
    ).all()
    ids = [s.id for s in uploads if s.id is not None]
    findings: dict[int, list[Finding]] = {}
    if ids:
        for finding in session.exec(
            select(Finding).where(col(Finding.submission_id).in_(ids)).order_by(col(Finding.id))
        ):
            findings.setdefault(finding.submission_id, []).append(finding)
    reviews = {
        review.submission_id: review
        for review in session.exec(
            select(Review).where(Review.certification_id == certification.id)
        )
    }
    staff_ids = _actor_ids(events) | {r.reviewer_id for r in reviews.values()}
    if certification.reviewer_id is not None:
        staff_ids.add(certification.reviewer_id)
    names = {
        staff_id: full_name
        for staff_id, full_name in session.exec(
            select(StaffUser.id, StaffUser.full_name).where(col(StaffUser.id).in_(staff_ids))
        )
        if staff_id is not None
    }
    submissions = [
        SubmissionView(
            s,
            tuple(findings.get(s.id or 0, [])),
            reviews.get(s.id or 0),
            names.get(reviews[s.id].reviewer_id) if s.id in reviews else None,
        )
        for s in uploads
    ]
    test_set = session.exec(
        select(TestSet).where(
            TestSet.certification_id == certification.id, TestSet.round == certification.round
        )
    ).first()
    current = _current(submissions, certification.round)
    running = tuple(
        d
        for d in deadlines(session, certification, now, load_calendar(session))
        if d.days_left is not None
    )
    rounds: dict[int, list[SubmissionView]] = {}
    for s in submissions:
        rounds.setdefault(s.submission.round, []).append(s)
    return CertificationView(
        certification=certification,
        vendor=vendor,
        reviewer=names.get(certification.reviewer_id) if certification.reviewer_id else None,
        deadlines=running,
        timeline=_timeline(events, names),
        test_set=test_set,
        explanations=(
            explain_round(test_set.document, test_set.answers, test_set.avisos_responses)
            if test_set
            else ()
        ),
        cfdi_case=next((c["caso"] for c in test_set.document["casos"] if c.get("cfdi")), None)
        if test_set
        else None,
        current=current,
        detail=(
            _detail(current.submission, test_set)
            if current is not None and current.submission.reading and test_set
            else None
        ),
        rounds=tuple(RoundHistory(n, tuple(rounds[n])) for n in sorted(rounds)),
        comparisons=_comparisons(submissions),
    )


# --- stored files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    media_type: str
    name: str


def workbook_file(session: Session, submission_id: int) -> StoredFile | None:
    """The original workbook of a submission as it was uploaded."""
    submission = session.get(EvidenceSubmission, submission_id)
    if submission is None:
        return None
    try:
        data = read_blob(submission_blob(submission))
    except BlobMissing:
        return None
    # An upload refused before its format was recognised is served as plain bytes.
    kind = (submission.reading or {}).get("format") or ""
    return StoredFile(
        data, WORKBOOK_TYPES.get(kind, "application/octet-stream"), submission.original_name
    )


def screenshot_file(
    session: Session, submission_id: int, number: int, *, thumbnail: bool
) -> StoredFile | None:
    """Screenshot ``number`` (1-based) of tab 3, or its thumbnail (the screenshot itself when it
    has none): only a file the submission's reading names."""
    submission = session.get(EvidenceSubmission, submission_id)
    stored = (submission.reading or {}).get("capturas") or [] if submission else []
    if not 1 <= number <= len(stored):
        return None
    item = stored[number - 1]
    relative = (thumbnail and item.get("miniatura")) or item.get("archivo")
    if not isinstance(relative, str) or not relative.startswith(("capturas/", "miniaturas/")):
        return None
    key = PurePosixPath(relative)
    media_type = IMAGE_TYPES.get(key.suffix.lower())
    if media_type is None:
        return None
    try:
        data = read_blob(relative)
    except BlobMissing:
        return None
    return StoredFile(data, media_type, item.get("nombre") or key.name)
