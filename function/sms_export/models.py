"""The data the flow passes along, as pydantic models mirroring the SMS API's constraints."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_FIELD_LENGTH = 255
FIELDS = ("task_id", "source_id", "source_name")


def _no_control_characters(value: str) -> str:
    for position, character in enumerate(value, start=1):
        if unicodedata.category(character) == "Cc":
            raise ValueError(
                f"contains a control character (U+{ord(character):04X}) at position {position}"
            )
    return value


ApiText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_FIELD_LENGTH),
    AfterValidator(_no_control_characters),
]


class Triple(BaseModel):
    """One item of the export request: which task's results, for which source server."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    task_id: ApiText
    source_id: ApiText
    source_name: ApiText


class Rejection(BaseModel):
    row: int
    reason: str
    # What the row held, for the rejects report; kept out of the outcome (it may be long).
    values: dict[str, str] | None = Field(default=None, exclude=True)


class Problem(BaseModel):
    """Why a whole input (not a single row or batch) failed."""

    code: str
    message: str
    retryable: bool = False


class RowCounts(BaseModel):
    received: int = 0
    valid: int = 0
    rejected: int = 0
    duplicates: int = 0
    exported: int = 0
    blank: int = 0  # blank rows skipped
    comments: int = 0  # `#` comment rows skipped


BatchStatus = Literal["exported", "failed", "pending"]


class BatchResult(BaseModel):
    index: int
    part: str | None = None  # "1", "2", "2.1": set when the API asked for smaller requests
    size: int
    status: BatchStatus
    export: str | None = None
    bytes: int | None = None
    content_type: str | None = None
    filename: str | None = None
    error_code: str | None = None
    error_msg: str | None = None
    http_status: int | None = None
    request_id: str | None = None
    attempts: int = 0
    resumed: bool = False  # stored by an earlier run: found, not exported again
    retryable: bool = False  # failed or pending, and a later attempt could succeed


class Notification(BaseModel):
    topic: str
    status: Literal["published", "failed"]
    message_id: str | None = None
    error: str | None = None


OutcomeStatus = Literal["succeeded", "partial", "failed", "ignored"]


class Outcome(BaseModel):
    status: OutcomeStatus
    trigger: str
    input: str
    request_id: str
    message_id: str | None = None  # the queue or topic message the input came in
    rows: RowCounts = RowCounts()
    batches: list[BatchResult] = []
    rejected: list[Rejection] = []
    rejects_report: str | None = None  # CSV of the rejected rows, stored beside the exports
    stored_outcome: str | None = None  # this outcome as JSON, stored beside the exports
    error: Problem | None = None
    retryable: bool = False  # not everything was done, and trying again could finish it
    notification: Notification | None = None
    duration_ms: int = 0
