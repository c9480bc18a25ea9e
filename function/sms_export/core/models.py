"""The data the flow passes along, as pydantic models mirroring the SMS API's constraints."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, Field, SecretStr, StringConstraints
from typing_extensions import TypedDict

MAX_FIELD_LENGTH = 255
# Bytes are streamed in chunks of this size everywhere: inputs read, downloads, uploads.
CHUNK_SIZE = 64 * 1024
FIELDS = ("task_id", "source_id", "source_name")


# Characters no field may hold, checked in pydantic-core's Rust regex (a Python loop over
# every character was most of the cost of validating a row): the control characters
# (Unicode category Cc is exactly these two ranges) and the format characters (category Cf,
# as of Unicode 15.1: zero-width spaces, bidirectional overrides, soft hyphens, byte-order
# marks), which spreadsheets and web pages slip into pasted ids and names unseen.
CONTROL_CHARACTERS = "\x00-\x1f\x7f-\x9f"
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_FORBIDDEN = re.compile(f"[{CONTROL_CHARACTERS}{FORMAT_CHARACTERS}]")


# What SMS ids are: task and source ids are UUIDs (ID_FORMAT=uuid, the default).
_SMS_ID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
IdFormat = Literal["uuid", "any"]
ID_FIELDS = ("task_id", "source_id")


def is_sms_id(value: str) -> bool:
    return _SMS_ID.fullmatch(value) is not None


def first_forbidden_character(value: str) -> tuple[int, str] | None:
    """1-based position and character of the first control or format character."""
    found = _FORBIDDEN.search(value)
    return (found.start() + 1, found.group()) if found else None


ApiText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=MAX_FIELD_LENGTH,
        pattern=f"^[^{CONTROL_CHARACTERS}{FORMAT_CHARACTERS}]*$",
    ),
]


class TripleFields(TypedDict):
    """The API's constraints on one item of the export request, checked by pydantic."""

    task_id: ApiText
    source_id: ApiText
    source_name: ApiText


class Triple(NamedTuple):
    """One valid item: which task's results, for which source server. A plain tuple, as
    there is one per row: cheap to make, to hash (de-duplication) and to keep."""

    task_id: str
    source_id: str
    source_name: str


class Rejection(BaseModel):
    row: int
    reason: str
    # What the row held, for rejected.csv; kept out of the outcome (it may be long).
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
    headers: int = 0  # the header row again, further down (files concatenated), skipped


BatchStatus = Literal["exported", "failed", "pending"]


class BatchResult(BaseModel):
    index: int
    part: str | None = None  # "1", "2", "2-1": set when the API asked for smaller requests
    size: int
    # Which of the input's distinct valid triples (numbered from 1, in input order) it holds.
    first: int
    last: int
    status: BatchStatus
    export: str | None = None
    bytes: int | None = None
    content_type: str | None = None
    filename: str | None = None
    error_code: str | None = None
    error_msg: str | None = None
    http_status: int | None = None
    request_id: str | None = None
    attempts: int = 0  # calls made, the throttled ones included
    throttled: int = 0  # of those, how many the gateway answered with a 429
    resumed: bool = False  # stored by an earlier run: found, not exported again
    retryable: bool = False  # failed or pending, and a later attempt could succeed
    # Where the export is in its store, to merge it into the results file; not in the outcome.
    key: str | None = Field(default=None, exclude=True)


Verdict = Literal["consistent", "inconsistent", "unknown"]


class DirectoryCheck(BaseModel):
    """One directory of a source's newest check (SMS's `dir_check` and its counts)."""

    path: str
    total_files: int | None = None
    different_files: int | None = None
    missing_files: int | None = None
    extra_files: int | None = None
    ignored: bool = False  # matched by IGNORE_DIRECTORIES: known noise, not counted


class SourceVerdict(BaseModel):
    """Whether a source's target holds the same files, by SMS's newest consistency check.
    The file counts leave out the ignored directories."""

    task_id: str
    source_id: str
    source_name: str
    verdict: Verdict
    total_files: int | None = None
    different_files: int | None = None
    missing_files: int | None = None  # on the source, not on the target
    extra_files: int | None = None  # on the target, not on the source
    checked_at: str | None = None  # when that check finished, ISO 8601 in UTC
    check_result: str | None = None  # as SMS gives it
    reason: str | None = None  # why the verdict is unknown
    previous_verdict: Verdict | None = None  # in the previous run; None when new
    # Unknown because its lookup did not finish (time ran out, throttling, a server
    # error): the next delivery looks it up; the verdicts found are not looked up again.
    to_look_up: bool = False
    directories: list[DirectoryCheck] = []


class DirectorySummary(BaseModel):
    """One directory path across an input's sources."""

    path: str
    differing_sources: int = 0
    different_files: int = 0
    missing_files: int = 0
    extra_files: int = 0
    ignored: bool = False


class Changes(BaseModel):
    """What changed since the previous run of the same input (counts of sources)."""

    since: str | None = None  # that run's finished_at
    previous_outcome: str | None = None  # its outcome.json
    newly_inconsistent: int = 0  # in both runs, inconsistent now and not before
    fixed: int = 0  # inconsistent before, consistent now
    new: int = 0  # not in the previous run
    unchanged: int = 0  # the same verdict in both


class ConsistencySummary(BaseModel):
    checked: int = 0
    consistent: int = 0
    inconsistent: int = 0
    unknown: int = 0
    to_look_up: int = 0  # sources whose verdict a later delivery still has to look up
    sources: list[SourceVerdict] = []  # the worst first
    directories: list[DirectorySummary] = []  # the most differing sources first
    changes: Changes | None = None  # None: no previous run

    @property
    def differing(self) -> list[SourceVerdict]:
        return [source for source in self.sources if source.verdict == "inconsistent"]


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
    consistency: ConsistencySummary | None = None  # a verdict per exported source
    started_at: str | None = None  # ISO 8601, UTC, Z
    finished_at: str | None = None
    results: str | None = None  # the batch exports merged into one file
    results_reason: str | None = None  # why there is no such file
    report: str | None = None  # report.html, for a person to read
    differing: str | None = None  # differing.csv: inconsistent and unknown sources, as input
    rejects_report: str | None = None  # CSV of the rejected rows, stored beside the exports
    stored_outcome: str | None = None  # this outcome as JSON, stored beside the exports
    error: Problem | None = None
    retryable: bool = False  # not everything was done, and trying again could finish it
    notification: Notification | None = None
    duration_ms: int = 0

    @property
    def unfinished(self) -> list[BatchResult]:
        return [batch for batch in self.batches if batch.status != "exported"]


@dataclass(frozen=True)
class HuaweiCredentials:
    """What the Huawei clients sign with, and where it came from (for the record)."""

    access_key: SecretStr
    secret_key: SecretStr
    security_token: SecretStr | None = None
    project_id: str | None = None
    source: str = field(default="environment")

    def secrets(self) -> list[str]:
        """The values that must never appear in any output."""
        values = [self.access_key, self.secret_key, self.security_token]
        return [value.get_secret_value() for value in values if value is not None]
