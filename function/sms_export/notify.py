"""Reporting an outcome: one JSON log line, and a message to the notification topic."""

from __future__ import annotations

import json
import sys
from typing import Any

from sms_export.models import Notification
from sms_export.outcome import redact

SNS_MESSAGE_LIMIT = 256 * 1024
SNS_SUBJECT_LIMIT = 99


def log_line(outcome: dict[str, Any]) -> None:
    """One line of JSON on stdout, which both platforms ship to their log service."""
    record = {"level": "INFO", "message": "sms-consistency-export outcome", **outcome}
    sys.stdout.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def log_error(text: str, secrets: list[str]) -> None:
    """Tracebacks go to stderr, scrubbed like everything else."""
    sys.stderr.write(str(redact(text, secrets)) + "\n")
    sys.stderr.flush()


def subject(outcome: dict[str, Any]) -> str:
    rows = outcome.get("rows", {})
    text = (
        f"SMS consistency export {outcome['status']}: {rows.get('exported', 0)} of "
        f"{rows.get('valid', 0) - rows.get('duplicates', 0)} rows, {outcome['input']}"
    )
    text = " ".join(text.split())  # SNS subjects allow no line breaks
    return text if len(text) <= SNS_SUBJECT_LIMIT else text[: SNS_SUBJECT_LIMIT - 1] + "…"


def fit(outcome: dict[str, Any], limit: int = SNS_MESSAGE_LIMIT) -> str:
    """The outcome as JSON, dropping per-row and per-batch detail if it would not fit."""
    message = json.dumps(outcome, ensure_ascii=False)
    if len(message.encode()) <= limit:
        return message
    summary = {key: value for key, value in outcome.items() if key not in ("rejected", "batches")}
    summary["truncated"] = (
        f"{len(outcome.get('batches', []))} batches and "
        f"{len(outcome.get('rejected', []))} rejected rows left out; "
        "the function's log line has them all"
    )
    return json.dumps(summary, ensure_ascii=False)


def publish_sns(topic_arn: str, outcome: dict[str, Any]) -> Notification:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = topic_arn.split(":")[3]
    try:
        response = boto3.client("sns", region_name=region).publish(
            TopicArn=topic_arn,
            Subject=subject(outcome),
            Message=fit(outcome),
            MessageAttributes={"status": {"DataType": "String", "StringValue": outcome["status"]}},
        )
    except (ClientError, BotoCoreError) as error:
        return Notification(topic=topic_arn, status="failed", error=str(error)[:500])
    return Notification(topic=topic_arn, status="published", message_id=response["MessageId"])


def publish(topic: str, outcome: dict[str, Any]) -> Notification:
    return publish_sns(topic, outcome)
