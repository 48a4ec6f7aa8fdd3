"""The HTTP status of each reason the domain gives for refusing (``workflow.refusals``)."""

from __future__ import annotations

from enum import StrEnum

from fastapi import status

from efirma.errors import EFirmaReason
from workflow.refusals import (
    AccountReason,
    AssignmentReason,
    CalendarReason,
    CertificationReason,
    DecisionReason,
    EFirmaSetupReason,
    GateReason,
    OutboxReason,
    Refused,
    RelationshipReason,
    RequestReason,
    SiaPasswordReason,
    SignatureReason,
    StaffAccountReason,
    UploadReason,
)

HTTP_STATUS: dict[StrEnum, int] = {
    UploadReason.NO_SUCH_CERTIFICATION: status.HTTP_404_NOT_FOUND,
    UploadReason.UNDER_REVIEW: status.HTTP_409_CONFLICT,
    UploadReason.NOT_RECEIVING: status.HTTP_409_CONFLICT,
    UploadReason.DEADLINE_PASSED: status.HTTP_409_CONFLICT,
    UploadReason.STILL_EXAMINING: status.HTTP_409_CONFLICT,
    RequestReason.INVALID_RFC: status.HTTP_422_UNPROCESSABLE_CONTENT,
    RequestReason.INVALID_EMAIL: status.HTTP_422_UNPROCESSABLE_CONTENT,
    RequestReason.ALREADY_OPEN: status.HTTP_409_CONFLICT,
    CalendarReason.ALREADY_NON_WORKING: status.HTTP_409_CONFLICT,
    CalendarReason.NOT_IN_CALENDAR: status.HTTP_404_NOT_FOUND,
    CalendarReason.STATUTORY: status.HTTP_409_CONFLICT,
    CalendarReason.NO_REASON: status.HTTP_422_UNPROCESSABLE_CONTENT,
    CalendarReason.INVALID_DATE: status.HTTP_422_UNPROCESSABLE_CONTENT,
    DecisionReason.NO_SUCH_CERTIFICATION: status.HTTP_404_NOT_FOUND,
    DecisionReason.ALREADY_DECIDED: status.HTTP_409_CONFLICT,
    DecisionReason.NOT_IN_REVIEW: status.HTTP_409_CONFLICT,
    DecisionReason.CHANGED_MEANWHILE: status.HTTP_409_CONFLICT,
    DecisionReason.NO_SUBMISSION: status.HTTP_409_CONFLICT,
    DecisionReason.REASON_REQUIRED: status.HTTP_422_UNPROCESSABLE_CONTENT,
    DecisionReason.JUSTIFICATION_REQUIRED: status.HTTP_422_UNPROCESSABLE_CONTENT,
    DecisionReason.UNKNOWN_FINDING: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AssignmentReason.NO_SUCH_CERTIFICATION: status.HTTP_404_NOT_FOUND,
    AssignmentReason.NO_SUCH_REVIEWER: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AssignmentReason.CLOSED: status.HTTP_409_CONFLICT,
    StaffAccountReason.NO_SUCH_ACCOUNT: status.HTTP_404_NOT_FOUND,
    StaffAccountReason.INVALID_EMAIL: status.HTTP_422_UNPROCESSABLE_CONTENT,
    StaffAccountReason.DUPLICATE_EMAIL: status.HTTP_409_CONFLICT,
    StaffAccountReason.INVALID_NAME: status.HTTP_422_UNPROCESSABLE_CONTENT,
    StaffAccountReason.INVALID_ROLE: status.HTTP_422_UNPROCESSABLE_CONTENT,
    StaffAccountReason.WEAK_CREDENTIAL: status.HTTP_422_UNPROCESSABLE_CONTENT,
    StaffAccountReason.OWN_ACCOUNT: status.HTTP_409_CONFLICT,
    OutboxReason.NO_SUCH_EMAIL: status.HTTP_404_NOT_FOUND,
    # The companies' portal. A field the workflow finds wrong is a 422, as everywhere here;
    # what the account's state does not allow, 409. (Members of a StrEnum compare as their
    # strings, so AccountReason.INVALID_RFC *is* RequestReason.INVALID_RFC as a key: reasons
    # of different enums that share a value must share a status too.)
    AccountReason.INVALID_KIND: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountReason.INVALID_RFC: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountReason.INVALID_NRP: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountReason.NRP_REQUIRED: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountReason.NRP_TAKEN: status.HTTP_409_CONFLICT,
    AccountReason.INVALID_EMAIL: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountReason.WEAK_CREDENTIAL: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountReason.PASSWORDS_DIFFER: status.HTTP_422_UNPROCESSABLE_CONTENT,
    AccountReason.ALREADY_REGISTERED: status.HTTP_409_CONFLICT,
    # A link that cannot be used is a bad request, whatever the reason.
    AccountReason.INVALID_LINK: status.HTTP_400_BAD_REQUEST,
    AccountReason.EXPIRED_LINK: status.HTTP_400_BAD_REQUEST,
    # The steps of Generación de contraseña: an unchecked box or a wrong captcha is a bad
    # request; what the password's state does not allow (or a signature gone), 409.
    SiaPasswordReason.TERMS_NOT_ACCEPTED: status.HTTP_400_BAD_REQUEST,
    SiaPasswordReason.ALREADY_ACTIVE: status.HTTP_409_CONFLICT,
    SiaPasswordReason.NONE_ACTIVE: status.HTTP_409_CONFLICT,
    SignatureReason.GONE: status.HTTP_409_CONFLICT,
    SiaPasswordReason.WRONG_CAPTCHA: status.HTTP_400_BAD_REQUEST,
    # Every e.firma failure is about the files or password the user gave.
    **{reason: status.HTTP_400_BAD_REQUEST for reason in EFirmaReason},
    # Not the user's doing: the server lacks SAT's certificates. Refusals are 4xx by rule
    # (tests/review/test_refusals.py), and the message tells the user to alert the administrator.
    EFirmaSetupReason.TRUST_NOT_CONFIGURED: status.HTTP_409_CONFLICT,
    # Certificación para desarrolladores: a patrón at the vendors' door, or a step before the
    # e.firma was shown, is forbidden; what the certification's state does not allow, 409.
    CertificationReason.NOT_A_VENDOR: status.HTTP_403_FORBIDDEN,
    CertificationReason.EFIRMA_REQUIRED: status.HTTP_403_FORBIDDEN,
    CertificationReason.TERMS_NOT_ACCEPTED: status.HTTP_400_BAD_REQUEST,
    CertificationReason.NO_SIA_CREDENTIAL: status.HTTP_409_CONFLICT,
    CertificationReason.OPEN_CERTIFICATION: status.HTTP_409_CONFLICT,
    CertificationReason.NO_CERTIFICATION: status.HTTP_409_CONFLICT,
    CertificationReason.NOT_AWAITING_SIGNATURE: status.HTTP_409_CONFLICT,
    CertificationReason.NOT_CANCELLABLE: status.HTTP_409_CONFLICT,
    # Relaciones de confianza: a desarrollador at the patrones' door is forbidden; what the
    # form asked for wrongly, 4xx of the form; what the vendor's or the relationship's state
    # does not allow, 409; another patrón's relationship, not found.
    RelationshipReason.NOT_A_PATRON: status.HTTP_403_FORBIDDEN,
    RelationshipReason.TERMS_NOT_ACCEPTED: status.HTTP_400_BAD_REQUEST,
    RelationshipReason.NO_SIA_CREDENTIAL: status.HTTP_409_CONFLICT,
    RelationshipReason.WRONG_SIA_PASSWORD: status.HTTP_400_BAD_REQUEST,
    RelationshipReason.INVALID_SERVICE: status.HTTP_422_UNPROCESSABLE_CONTENT,
    RelationshipReason.INVALID_VIGENCIA: status.HTTP_422_UNPROCESSABLE_CONTENT,
    RelationshipReason.UNKNOWN_VENDOR: status.HTTP_422_UNPROCESSABLE_CONTENT,
    RelationshipReason.VENDOR_NOT_CERTIFIED: status.HTTP_409_CONFLICT,
    RelationshipReason.DUPLICATE: status.HTTP_409_CONFLICT,
    RelationshipReason.CHOICE_GONE: status.HTTP_400_BAD_REQUEST,
    RelationshipReason.NO_SUCH_RELATIONSHIP: status.HTTP_404_NOT_FOUND,
    RelationshipReason.NOT_CANCELLABLE: status.HTTP_409_CONFLICT,
    # The production avisos service: who the caller is, 401; a pair that may not read, 403; a
    # query it cannot serve, 400.
    GateReason.WRONG_CREDENTIALS: status.HTTP_401_UNAUTHORIZED,
    GateReason.INVALID_TOKEN: status.HTTP_401_UNAUTHORIZED,
    GateReason.PASSWORD_CHANGED: status.HTTP_401_UNAUTHORIZED,
    GateReason.VENDOR_NOT_CERTIFIED: status.HTTP_403_FORBIDDEN,
    GateReason.NO_RELATIONSHIP: status.HTTP_403_FORBIDDEN,
    GateReason.RELATIONSHIP_PENDING: status.HTTP_403_FORBIDDEN,
    GateReason.RELATIONSHIP_CANCELLED: status.HTTP_403_FORBIDDEN,
    GateReason.RELATIONSHIP_EXPIRED: status.HTTP_403_FORBIDDEN,
    GateReason.RELATIONSHIP_VOIDED: status.HTTP_403_FORBIDDEN,
    GateReason.BAD_QUERY: status.HTTP_400_BAD_REQUEST,
}


def http_status(refused: Refused) -> int:
    return HTTP_STATUS[refused.reason]
