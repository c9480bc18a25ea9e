"""What the handler returns to the platform, by trigger: the outcome, an HTTP response,
or the SQS partial-batch answer (pure). Answers are bounded documents: both platforms drop
synchronous answers over 6 MB, and outcome.json holds the complete record."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from sms_export.core.documents import ANSWER_LIMIT, LOG_LINE_LIMIT, bounded
from sms_export.core.models import Outcome, OutcomeStatus
from sms_export.core.triggers import Reply

# The answer for several outcomes takes the worst status among them.
OUTCOME_STATUSES_WORST_FIRST: tuple[OutcomeStatus, ...] = (
    "failed",
    "partial",
    "succeeded",
    "ignored",
)
SERVER_SIDE = ("ConfigurationError", "InternalError")


class ItemFailure(TypedDict):
    itemIdentifier: str


class SqsReply(TypedDict):
    batchItemFailures: list[ItemFailure]


class HttpReply(TypedDict):
    statusCode: int
    headers: dict[str, str]
    body: str
    isBase64Encoded: bool


def overall_status(outcomes: list[Outcome]) -> OutcomeStatus:
    return min((outcome.status for outcome in outcomes), key=OUTCOME_STATUSES_WORST_FIRST.index)


def document(trigger: str, outcomes: list[Outcome]) -> dict[str, Any]:
    """One outcome as it is; several under `outcomes`, sharing the answer's size budget."""
    budget = min(LOG_LINE_LIMIT, ANSWER_LIMIT // max(len(outcomes), 1))
    if len(outcomes) == 1:
        return bounded(outcomes[0], budget)
    return {
        "status": overall_status(outcomes),
        "trigger": trigger,
        "retryable": any(outcome.retryable for outcome in outcomes),
        "outcomes": [bounded(outcome, budget) for outcome in outcomes],
    }


def http_status(outcomes: list[Outcome]) -> int:
    """200 when something was exported; 400 when nothing valid was sent; 502 when the SMS
    API failed; 503 when trying again later may finish the work; 500 when the function
    itself is misconfigured or broken."""
    status = overall_status(outcomes)
    codes = {outcome.error.code for outcome in outcomes if outcome.error is not None}
    if status == "failed" and codes & set(SERVER_SIDE):
        return 500
    if any(outcome.retryable for outcome in outcomes):
        # Throttled, server errors, out of time, verdicts left to look up: the same
        # request resumes and may finish the work.
        return 503
    if status != "failed":
        return 200
    if any(outcome.unfinished for outcome in outcomes):
        return 502
    return 400


def sqs_failures(outcomes: list[Outcome]) -> list[ItemFailure]:
    """Messages to redeliver: those not done that a retry could finish. A message that can
    never succeed (not JSON, no rows, invalid rows) is reported in its outcome and let go."""
    retry = dict.fromkeys(
        outcome.message_id for outcome in outcomes if outcome.message_id and outcome.retryable
    )
    return [ItemFailure(itemIdentifier=message_id) for message_id in retry if message_id]


def reply(kind: Reply, trigger: str, outcomes: list[Outcome]) -> dict[str, Any]:
    if kind == "sqs":
        return dict(SqsReply(batchItemFailures=sqs_failures(outcomes)))
    body = document(trigger, outcomes)
    if kind == "http":
        return dict(
            HttpReply(
                statusCode=http_status(outcomes),
                headers={"Content-Type": "application/json"},
                body=json.dumps(body, ensure_ascii=False),
                isBase64Encoded=False,
            )
        )
    return body
