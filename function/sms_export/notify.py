"""Reporting an outcome: one JSON log line, and a message to the notification topic."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Protocol

from sms_export.adapters.huaweisdk import build_client, error_text
from sms_export.adapters.logs import log_event
from sms_export.core import messages
from sms_export.core.documents import KB, LOG_LINE_LIMIT, bounded
from sms_export.core.models import HuaweiCredentials, Notification, Outcome
from sms_export.core.redaction import redact
from sms_export.settings import Settings

SNS_MESSAGE_LIMIT = 256 * 1024
SNS_SUBJECT_LIMIT = 99
SMN_LIMIT = 256 * 1024  # the message structure carries the JSON three times


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
    differing = outcome.consistency.inconsistent if outcome.consistency else 0
    text = (
        f"SMS consistency export {outcome.status}: {rows.exported} of "
        f"{rows.valid - rows.duplicates} rows"
        + (f", {differing} sources differ" if differing else "")
        + f", {outcome.input}"
    )
    text = " ".join(text.split())  # subjects allow no line breaks
    return text if len(text) <= limit else text[: limit - 1] + "…"


def verdict_line(outcome: Outcome) -> str | None:
    """The first line e-mail and SMS subscribers see: which sources differ."""
    return messages.verdict_line(outcome.consistency)


def summary_text(outcome: Outcome, limit: int = 480) -> str:
    """A few plain lines for e-mail and SMS subscribers, the differing sources first (no
    brackets: SMS refuses them)."""
    parts = [
        f"{outcome.status}: {outcome.rows.exported} rows exported from {outcome.input}",
        f"{outcome.rows.rejected} rejected",
    ]
    if outcome.unfinished:
        parts.append(f"{len(outcome.unfinished)} batches not exported")
    if outcome.error is not None:
        parts.append(f"{outcome.error.code}: {outcome.error.message}")
    for label, uri in (("report", outcome.report), ("details", outcome.stored_outcome)):
        if uri:
            parts.append(f"{label}: {uri}")
    first = verdict_line(outcome)
    text = "\n".join(([first] if first else []) + ["; ".join(parts)])
    for bracket in "[]【】":
        text = text.replace(bracket, "")
    return text[:limit]


def message(outcome: Outcome, limit: int = SNS_MESSAGE_LIMIT) -> str:
    """The outcome as JSON within `limit` bytes; the stored outcome has everything."""
    return json.dumps(bounded(outcome, limit), ensure_ascii=False)


def structured(
    outcome: Outcome, machines: tuple[str, ...], people: tuple[str, ...], limit: int
) -> str:
    """A message structure: the outcome's JSON for each protocol in `machines`, words for
    each in `people`, within `limit` bytes as sent (the JSON is escaped inside it)."""
    words = summary_text(outcome)
    budget = limit // len(machines)
    while True:
        full = message(outcome, budget)
        copies = {**dict.fromkeys(machines, full), **dict.fromkeys(people, words)}
        document = json.dumps(copies, ensure_ascii=False)
        if len(document.encode("utf-8", "surrogatepass")) <= limit or budget < KB:
            return document
        budget = budget * 3 // 4


@dataclass(frozen=True)
class SnsTopic:
    topic: str  # arn:aws:sns:<region>:<account>:<name>

    def publish(self, outcome: Outcome) -> Notification:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            # E-mail and SMS subscribers get words, the differing sources first; queues,
            # functions and HTTP endpoints the JSON (the default).
            structure = structured(outcome, ("default",), ("email", "sms"), SNS_MESSAGE_LIMIT)
            response = boto3.client("sns", region_name=self.topic.split(":")[3]).publish(
                TopicArn=self.topic,
                Subject=subject(outcome),
                MessageStructure="json",
                Message=structure,
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
        # E-mail and SMS subscribers get words; HTTP(S) and function subscribers the JSON.
        structure = structured(
            outcome, ("http", "https", "functiongraph"), ("default", "email", "sms"), SMN_LIMIT
        )
        body = PublishMessageRequestBody(
            subject=_utf8_prefix(subject(outcome, 512), 512), message_structure=structure
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
