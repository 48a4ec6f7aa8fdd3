"""Every reason the domain gives for a refusal has an HTTP status, and a refusal shows its
Spanish message unchanged."""

from enum import StrEnum

from review.refusals import HTTP_STATUS, http_status
from workflow import refusals
from workflow.refusals import Refused, UploadReason, UploadRefused


def _reason_enums() -> list[type[StrEnum]]:
    return [
        value
        for value in vars(refusals).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    ]


def test_every_reason_has_an_http_status():
    enums = _reason_enums()
    assert UploadReason in enums
    missing = [reason for enum in enums for reason in enum if reason not in HTTP_STATUS]
    assert missing == []
    assert all(400 <= code < 500 for code in HTTP_STATUS.values())


def test_a_refusal_keeps_its_reason_and_message():
    refused = UploadRefused(UploadReason.NO_SUCH_CERTIFICATION, "No existe la certificación X.")
    assert isinstance(refused, Refused) and str(refused) == "No existe la certificación X."
    assert http_status(refused) == 404
