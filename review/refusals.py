"""The HTTP status of each reason the domain gives for refusing (``workflow.refusals``)."""

from __future__ import annotations

from enum import StrEnum

from fastapi import status

from workflow.refusals import (
    AssignmentReason,
    CalendarReason,
    DecisionReason,
    OutboxReason,
    Refused,
    RequestReason,
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
}


def http_status(refused: Refused) -> int:
    return HTTP_STATUS[refused.reason]
