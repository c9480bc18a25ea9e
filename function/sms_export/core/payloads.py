"""Message payloads → inputs: one reader for every trigger that carries messages (SQS, SNS,
SMN, Kafka and RocketMQ, timers, EventBridge) and for HTTP bodies. A payload may hold
triples, an object reference, a discovery request, or a forwarded event (S3 → SQS, SNS →
SQS), which the recognition table of triggers.py reads.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sms_export.core import jsontext
from sms_export.core.errors import InputError, UnknownEvent
from sms_export.core.input_kinds import (
    DiscoveryInput,
    DocumentInput,
    Event,
    InlineInput,
    Input,
    ObjectInput,
    UnusableInput,
)

# An event carried in a message, read as the platform's own would be; None: no trigger's.
Forwarded = Callable[[Event], list[Input] | None]


def object_reference(uri: Any) -> ObjectInput:
    """`obs://bucket/key` or `s3://bucket/key`, as an operator writes it (not URL-encoded)."""
    scheme, _, rest = str(uri).partition("://")
    bucket, _, key = rest.partition("/")
    if scheme not in ("obs", "s3") or not bucket or not key:
        raise InputError(
            "InvalidObjectReference",
            f"object must look like obs://bucket/key or s3://bucket/key, not {uri!r}",
        )
    return ObjectInput(bucket, key)


def discovery(request: Any) -> DiscoveryInput:
    if request in (None, {}, True):
        return DiscoveryInput(None)
    if not isinstance(request, Mapping):
        raise InputError("InvalidDiscovery", "discover must be an object of ListServers filters")
    return DiscoveryInput(dict(request))


def inline(items: Any) -> InlineInput:
    if not isinstance(items, list):
        raise InputError(
            "InvalidEvent",
            "task_info must be a list of objects with task_id, "
            f"source_id and source_name, not {type(items).__name__}",
        )
    return InlineInput(items)


def parse_json(text: str | bytes, what: str) -> Any:
    expected = (
        'expected {"task_info": [...]}, {"object": "obs://bucket/key"} or {"discover": {...}}'
    )
    try:
        return jsontext.loads(text)
    except json.JSONDecodeError as error:
        problem = f"{error.msg} at position {error.pos}"
    except jsontext.TooDeep as error:
        problem = str(error)
    except UnicodeDecodeError as error:
        problem = f"not UTF-8 at byte {error.start}"
    raise InputError("InvalidMessage", f"{what} is not JSON ({problem}); {expected}")


def shape_of(value: Any) -> str:
    """The shape of what arrived, never its values (they may hold anything)."""
    if isinstance(value, Mapping):
        return f"top-level keys: {sorted(str(key) for key in value)[:12]}"
    return f"a JSON {type(value).__name__}"


@dataclass(frozen=True)
class Payloads:
    """The reader, given how to read a forwarded event: triggers.py builds its table from
    these methods and hands the table back in, so one table serves both without an import
    circle."""

    forwarded: Forwarded

    def read(self, payload: Any, what: str = "the message") -> list[Input]:
        """Inputs held by a message body: JSON text or an already-parsed value."""
        if isinstance(payload, (str, bytes)):
            if not payload.strip():
                raise InputError("EmptyMessage", f"{what} is empty")
            payload = parse_json(payload, what)
        if isinstance(payload, list):
            return [InlineInput(payload)]
        if isinstance(payload, Mapping):
            if payload.get("Event") == "s3:TestEvent":
                return []  # S3 says hello when a notification is configured
            if payload.get("Type") == "Notification" and "Message" in payload:
                return self.read(payload["Message"], what)  # an SNS envelope (SNS → SQS)
            found = self.forwarded(payload)
            if found is not None:
                return found
        raise UnknownEvent(f"Unrecognised content in {what} ({shape_of(payload)})")

    def each(self, items: Iterable[tuple[str | None, Any]]) -> list[Input]:
        """One message's failure must not sink its neighbours: it becomes an UnusableInput."""
        inputs: list[Input] = []
        for origin, payload in items:
            what = f"message {origin}" if origin else "the message"
            try:
                found = self.read(payload, what)
            except InputError as error:
                inputs.append(UnusableInput(error, origin))
                continue
            inputs.extend(_with_origin(source, origin) for source in found)
        return inputs

    def timer(self, event: Event) -> list[Input]:
        user_event = event.get("user_event") or ""
        if not str(user_event).strip():
            return [DiscoveryInput(None)]
        return self.read(str(user_event), "the timer's user_event")

    def smn(self, event: Event) -> list[Input]:
        return self.each(
            (record["smn"].get("message_id"), record["smn"]["message"])
            for record in event["record"]
        )

    def dms(self, event: Event) -> list[Input]:
        return self.each(
            (f"{record.get('topic_id', 'topic')}#{number}", message)
            for record in event["records"]
            for number, message in enumerate(record.get("messages", []), start=1)
        )

    def sqs(self, event: Event) -> list[Input]:
        return self.each((record["messageId"], record["body"]) for record in event["Records"])

    def sns(self, event: Event) -> list[Input]:
        return self.each(
            (record["Sns"].get("MessageId"), record["Sns"]["Message"])
            for record in event["Records"]
        )

    def eventbridge_detail(self, event: Event) -> list[Input]:
        return self.read(event["detail"], "the event's detail")

    def http_body(self, event: Event) -> list[Input]:
        body = event.get("body") or ""
        try:
            data = (
                base64.b64decode(body, validate=True)
                if event.get("isBase64Encoded")
                else (body.encode("utf-8") if isinstance(body, str) else bytes(body))
            )
        except (binascii.Error, ValueError):
            return [
                UnusableInput(
                    InputError("InvalidBody", "isBase64Encoded is set but the body is not base64")
                )
            ]
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        content_type = headers.get("content-type", "application/json")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return [DocumentInput(data, content_type)]  # a file: CSV, JSON Lines, xlsx, gzip…
        try:
            return self.read(data, "the request body")
        except InputError as error:
            return [UnusableInput(error)]


def _with_origin(source: Input, origin: str | None) -> Input:
    return replace(source, origin=origin) if origin and source.origin is None else source
