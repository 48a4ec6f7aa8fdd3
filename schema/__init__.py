"""The data model: every table, importable from here so metadata and migrations see them all."""

from sqlmodel import SQLModel

from evidence.verdict import Verdict  # the domain's enum, stored as is in evidence_submissions
from schema.audit import GENESIS_HASH, AuditEvent, AuditHead
from schema.avisos import Aviso, AvisoClase, AvisoDownload
from schema.blobs import Blob
from schema.calendar import NonWorkingDay
from schema.certifications import Certification, CertificationState, TestSet
from schema.clocks import (
    ActionOutcome,
    Clock,
    ClockActionRecord,
    ClockKind,
    ClockState,
    DeadlineAction,
)
from schema.companies import (
    CaptchaChallenge,
    CompanyAccount,
    CompanySession,
    PendingSignature,
    SignaturePurpose,
)
from schema.documents import Document, DocumentKind
from schema.evidence import (
    EvidenceSubmission,
    Finding,
    FindingSource,
    Review,
    ReviewDecision,
    Severity,
    SubmissionStatus,
)
from schema.folios import FolioIssue
from schema.organizations import Organization, OrganizationKind
from schema.outbox import OutboxEmail, OutboxStatus
from schema.relationships import (
    OPEN_STATUSES,
    IntercomService,
    RelationshipNotice,
    RelationshipStatus,
    TrustRelationship,
)
from schema.sign_in import SignInFailure
from schema.staff import BrowserSession, StaffRole, StaffSession, StaffToken, StaffUser

metadata = SQLModel.metadata

__all__ = [
    "GENESIS_HASH",
    "OPEN_STATUSES",
    "ActionOutcome",
    "AuditEvent",
    "AuditHead",
    "Aviso",
    "AvisoClase",
    "AvisoDownload",
    "Blob",
    "BrowserSession",
    "CaptchaChallenge",
    "Certification",
    "CertificationState",
    "Clock",
    "ClockActionRecord",
    "ClockKind",
    "ClockState",
    "CompanyAccount",
    "CompanySession",
    "DeadlineAction",
    "Document",
    "DocumentKind",
    "EvidenceSubmission",
    "Finding",
    "FindingSource",
    "FolioIssue",
    "IntercomService",
    "NonWorkingDay",
    "Organization",
    "OrganizationKind",
    "OutboxEmail",
    "OutboxStatus",
    "PendingSignature",
    "RelationshipNotice",
    "RelationshipStatus",
    "Review",
    "ReviewDecision",
    "Severity",
    "SignInFailure",
    "SignaturePurpose",
    "StaffRole",
    "StaffSession",
    "StaffToken",
    "StaffUser",
    "SubmissionStatus",
    "TestSet",
    "TrustRelationship",
    "Verdict",
    "metadata",
]
