"""Why the domain will not do what it was asked: a reason for the caller, a message for people.

Workflow functions raise a ``Refused`` subclass; they know nothing of HTTP. The web layer maps
each reason to a status code (``review/refusals.py``) and shows the Spanish message as it is;
the command line prints it.
"""

from __future__ import annotations

from enum import StrEnum


class Refused(Exception):
    """A request the domain refuses; ``str(exc)`` is the Spanish message for the user."""

    def __init__(self, reason: StrEnum, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class UploadReason(StrEnum):
    NO_SUCH_CERTIFICATION = "no_such_certification"
    UNDER_REVIEW = "under_review"
    NOT_RECEIVING = "not_receiving"
    DEADLINE_PASSED = "deadline_passed"
    STILL_EXAMINING = "still_examining"


class UploadRefused(Refused):
    """An evidence upload that is not taken (nothing is stored)."""

    def __init__(self, reason: UploadReason, message: str) -> None:
        super().__init__(reason, message)


class RequestReason(StrEnum):
    INVALID_RFC = "invalid_rfc"
    INVALID_EMAIL = "invalid_email"
    ALREADY_OPEN = "already_open"


class RequestRefused(Refused):
    """A certification request that cannot be opened."""

    def __init__(self, reason: RequestReason, message: str) -> None:
        super().__init__(reason, message)


class CalendarReason(StrEnum):
    ALREADY_NON_WORKING = "already_non_working"
    NOT_IN_CALENDAR = "not_in_calendar"
    STATUTORY = "statutory"
    NO_REASON = "no_reason"
    INVALID_DATE = "invalid_date"


class CalendarRefused(Refused):
    """A change to the calendar of non-working days that is not made."""

    def __init__(self, reason: CalendarReason, message: str) -> None:
        super().__init__(reason, message)


class DecisionReason(StrEnum):
    NO_SUCH_CERTIFICATION = "no_such_certification"
    ALREADY_DECIDED = "already_decided"
    NOT_IN_REVIEW = "not_in_review"
    CHANGED_MEANWHILE = "changed_meanwhile"
    NO_SUBMISSION = "no_submission"
    REASON_REQUIRED = "reason_required"
    JUSTIFICATION_REQUIRED = "justification_required"
    UNKNOWN_FINDING = "unknown_finding"


class DecisionRefused(Refused):
    """A reviewer's decision that is not recorded (nothing changes)."""

    def __init__(self, reason: DecisionReason, message: str) -> None:
        super().__init__(reason, message)


class AssignmentReason(StrEnum):
    NO_SUCH_CERTIFICATION = "no_such_certification"
    NO_SUCH_REVIEWER = "no_such_reviewer"
    CLOSED = "closed"


class AssignmentRefused(Refused):
    """A reassignment of a review that is not made."""

    def __init__(self, reason: AssignmentReason, message: str) -> None:
        super().__init__(reason, message)


class StaffAccountReason(StrEnum):
    NO_SUCH_ACCOUNT = "no_such_account"
    INVALID_EMAIL = "invalid_email"
    DUPLICATE_EMAIL = "duplicate_email"
    INVALID_NAME = "invalid_name"
    INVALID_ROLE = "invalid_role"
    WEAK_CREDENTIAL = "weak_credential"
    OWN_ACCOUNT = "own_account"


class StaffAccountRefused(Refused):
    """A change to a staff account that is not made."""

    def __init__(self, reason: StaffAccountReason, message: str) -> None:
        super().__init__(reason, message)


class OutboxReason(StrEnum):
    NO_SUCH_EMAIL = "no_such_email"


class OutboxRefused(Refused):
    """A staff action on the outbox that is not taken."""

    def __init__(self, reason: OutboxReason, message: str) -> None:
        super().__init__(reason, message)


class EFirmaSetupReason(StrEnum):
    TRUST_NOT_CONFIGURED = "trust_not_configured"


class EFirmaRefused(Refused):
    """An e.firma that is not accepted (``efirma.errors.EFirmaReason``), or one that cannot be
    checked at all because the trust store is not configured."""

    def __init__(self, reason: StrEnum, message: str) -> None:
        super().__init__(reason, message)


class AccountReason(StrEnum):
    INVALID_KIND = "invalid_kind"
    INVALID_RFC = "invalid_rfc"
    INVALID_NRP = "invalid_nrp"
    NRP_REQUIRED = "nrp_required"
    NRP_TAKEN = "nrp_taken"
    INVALID_EMAIL = "invalid_email"
    WEAK_CREDENTIAL = "weak_credential"
    PASSWORDS_DIFFER = "passwords_differ"
    ALREADY_REGISTERED = "already_registered"
    INVALID_LINK = "invalid_link"
    EXPIRED_LINK = "expired_link"


class AccountRefused(Refused):
    """A portal registration or email confirmation that is not taken (nothing is stored)."""

    def __init__(self, reason: AccountReason, message: str) -> None:
        super().__init__(reason, message)


class SiaPasswordReason(StrEnum):
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    ALREADY_ACTIVE = "already_active"
    NONE_ACTIVE = "none_active"
    WRONG_CAPTCHA = "wrong_captcha"


class SiaPasswordRefused(Refused):
    """A step of Generación de contraseña that is not taken (the password stays as it was)."""

    def __init__(self, reason: SiaPasswordReason, message: str) -> None:
        super().__init__(reason, message)


class SignatureReason(StrEnum):
    GONE = "signature_gone"


class SignatureRefused(Refused):
    """A «Continuar» whose e.firma signature is no longer waiting (used, expired or unknown)."""

    def __init__(self, reason: SignatureReason, message: str) -> None:
        super().__init__(reason, message)


class CertificationReason(StrEnum):
    NOT_A_VENDOR = "not_a_vendor"
    NO_SIA_CREDENTIAL = "no_sia_credential"
    OPEN_CERTIFICATION = "open_certification"
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    NO_CERTIFICATION = "no_certification"
    NOT_AWAITING_SIGNATURE = "not_awaiting_signature"
    NOT_CANCELLABLE = "not_cancellable"
    EFIRMA_REQUIRED = "efirma_required"


class CertificationRefused(Refused):
    """A vendor's step of Certificación para desarrolladores that is not taken (nothing changes)."""

    def __init__(self, reason: CertificationReason, message: str) -> None:
        super().__init__(reason, message)


class RelationshipReason(StrEnum):
    NOT_A_PATRON = "not_a_patron"
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    NO_SIA_CREDENTIAL = "no_sia_credential"
    WRONG_SIA_PASSWORD = "wrong_sia_password"
    INVALID_SERVICE = "invalid_service"
    INVALID_VIGENCIA = "invalid_vigencia"
    UNKNOWN_VENDOR = "unknown_vendor"
    VENDOR_NOT_CERTIFIED = "vendor_not_certified"
    DUPLICATE = "duplicate_relationship"
    CHOICE_GONE = "choice_gone"
    NO_SUCH_RELATIONSHIP = "no_such_relationship"
    NOT_CANCELLABLE = "not_cancellable"


class RelationshipRefused(Refused):
    """A patrón's step of Relaciones de confianza that is not taken (nothing changes)."""

    def __init__(self, reason: RelationshipReason, message: str) -> None:
        super().__init__(reason, message)


class GateReason(StrEnum):
    WRONG_CREDENTIALS = "wrong_credentials"
    INVALID_TOKEN = "invalid_token"
    PASSWORD_CHANGED = "password_changed"
    VENDOR_NOT_CERTIFIED = "certification_not_in_force"
    NO_RELATIONSHIP = "no_relationship"
    RELATIONSHIP_PENDING = "relationship_pending"
    RELATIONSHIP_CANCELLED = "relationship_cancelled"
    RELATIONSHIP_EXPIRED = "relationship_expired"
    RELATIONSHIP_VOIDED = "relationship_voided"
    BAD_QUERY = "bad_query"


class GateRefused(Refused):
    """A request to the production avisos service that is not served (nothing is recorded)."""

    def __init__(self, reason: GateReason, message: str) -> None:
        super().__init__(reason, message)
