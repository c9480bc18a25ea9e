"""Reporting an outcome: one JSON log line, and a message to the notification topic."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Protocol

from sms_export.documents import LOG_LINE_LIMIT, bounded
from sms_export.huaweisdk import build_client, error_text
from sms_export.logs import log_event
from sms_export.models import HuaweiCredentials, Notification, Outcome
from sms_export.redaction import redact
from sms_export.settings import Settings

SNS_MESSAGE_LIMIT = 256 * 1024
SNS_SUBJECT_LIMIT = 99
# SMN's limit is 256 KB; the message structure carries the JSON three times.
SMN_COPY_LIMIT = 80 * 1024


def log_line(outcome: Outcome) -> None:
    """One line of JSON on stdout, which both platforms ship to their log service; at most
    LOG_LINE_LIMIT bytes whatever the input's size (outcome.json has everything)."""
    log_event("INFO", "sms-consistency-export outcome", **bounded(outcome, LOG_LINE_LIMIT - 100))


def log_error(text: str, secrets: list[str]) -> None:
    """Tracebacks go to stderr, scrubbed like everything else."""
    sys.stderr.write(str(redact(text, secrets)) + "\n")
    sys.stderr.flush()


def subject(outcome: Outcome, limit: int = SNS_SUBJECT_LIMIT) -> str:
    rows = outcome.rows
    text = (
        f"SMS consistency export {outcome.status}: {rows.exported} of "
        f"{rows.valid - rows.duplicates} rows, {outcome.input}"
    )
    text = " ".join(text.split())  # subjects allow no line breaks
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_text(outcome: Outcome) -> str:
    """A few plain words for e-mail and SMS subscribers (no brackets: SMS refuses them)."""
    parts = [
        f"{outcome.status}: {outcome.rows.exported} rows exported from {outcome.input}",
        f"{outcome.rows.rejected} rejected",
    ]
    if outcome.unfinished:
        parts.append(f"{len(outcome.unfinished)} batches not exported")
    if outcome.error is not None:
        parts.append(f"{outcome.error.code}: {outcome.error.message}")
    if outcome.stored_outcome:
        parts.append(f"details: {outcome.stored_outcome}")
    text = "; ".join(parts)
    for bracket in "[]【】":
        text = text.replace(bracket, "")
    return text[:480]


def message(outcome: Outcome, limit: int = SNS_MESSAGE_LIMIT) -> str:
    """The outcome as JSON within `limit` bytes; the stored outcome has everything."""
    return json.dumps(bounded(outcome, limit), ensure_ascii=False)


@dataclass(frozen=True)
class SnsTopic:
    topic: str  # arn:aws:sns:<region>:<account>:<name>

    def publish(self, outcome: Outcome) -> Notification:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = boto3.client("sns", region_name=self.topic.split(":")[3]).publish(
                TopicArn=self.topic,
                Subject=subject(outcome),
                Message=message(outcome),
                MessageAttributes={"status": {"DataType": "String", "StringValue": outcome.status}},
            )
        except (ClientError, BotoCoreError) as error:
            return Notification(topic=self.topic, status="failed", error=str(error)[:500])
        return Notification(topic=self.topic, status="published", message_id=response["MessageId"])


@dataclass(frozen=True)
class SmnTopic:
    topic: str  # urn:smn:<region>:<project_id>:<name>
    credentials: HuaweiCredentials
    endpoint: str | None = None  # SMN_ENDPOINT; else the region's

    def publish(self, outcome: Outcome) -> Notification:
        from huaweicloudsdksmn.v2 import (
            PublishMessageRequest,
            PublishMessageRequestBody,
            SmnClient,
        )

        _, _, region, project_id, _ = self.topic.split(":", 4)
        full = message(outcome, SMN_COPY_LIMIT)
        short = summary_text(outcome)
        # E-mail and SMS subscribers get words; HTTP(S) and function subscribers the JSON.
        structure = {
            "default": short,
            "email": short,
            "sms": short,
            "http": full,
            "https": full,
            "functiongraph": full,
        }
        body = PublishMessageRequestBody(
            subject=_utf8_prefix(subject(outcome, 512), 512),
            message_structure=json.dumps(structure, ensure_ascii=False),
        )
        try:
            client = build_client(
                SmnClient, self.credentials, self._endpoints(region), (10.0, 30.0), project_id
            )
            response = client.publish_message(
                PublishMessageRequest(topic_urn=self.topic, body=body)
            )
        except Exception as error:  # the SDK's, requests' and region lookups' errors alike
            return Notification(topic=self.topic, status="failed", error=error_text(error))
        return Notification(topic=self.topic, status="published", message_id=response.message_id)

    def _endpoints(self, region: str) -> list[str]:
        if self.endpoint:
            return [self.endpoint]
        from huaweicloudsdksmn.v2.region.smn_region import SmnRegion

        return list(SmnRegion.value_of(region).endpoints)


def _utf8_prefix(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, never cutting a character in half."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def topic_for(settings: Settings, credentials: HuaweiCredentials | None) -> Topic | None:
    """The notification topic, SNS or SMN by the form of NOTIFY_TOPIC."""
    topic = settings.notify_topic
    if not topic:
        return None
    if topic.startswith("urn:smn:"):
        return SmnTopic(topic, credentials, settings.smn_endpoint) if credentials else None
    return SnsTopic(topic)


class Topic(Protocol):
    @property
    def topic(self) -> str: ...

    def publish(self, outcome: Outcome) -> Notification: ...
