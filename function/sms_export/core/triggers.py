"""Event → inputs. Recognition is a table: one entry per trigger, tried in order.

Message-carrying triggers (SQS, SNS, SMN, Kafka, timers, EventBridge) share one payload
reader: a message may hold triples, an object reference, a discovery request, or a
forwarded event, which is recognised with this same table.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import unquote_plus

from sms_export.core import jsontext
from sms_export.core.errors import InputError, UnknownEvent

Event = Mapping[str, Any]
Reply = Literal["outcome", "http", "sqs"]


class _Carried:
    """What every input kind answers the same way unless it is an object in storage."""

    def uri(self, scheme: str) -> str:
        """How the outcome names the input."""
        return "inline"

    def home_bucket(self) -> str | None:
        """Where its exports go when EXPORT_BUCKET is not set."""
        return None

    def why_ignored(self, export_prefix: str, input_prefix: str) -> str | None:
        """Why this input is none of the function's business, or None."""
        return None


@dataclass(frozen=True)
class InlineInput(_Carried):
    """Triples carried by the event itself."""

    items: list[Any]
    origin: str | None = None  # the message it came in, for triggers that redeliver


@dataclass(frozen=True)
class DocumentInput(_Carried):
    """A file carried by the event itself (an HTTP body): CSV, JSON Lines, xlsx, gzip…"""

    content: bytes
    content_type: str | None = None
    origin: str | None = None
    name: str | None = None  # a file's name, when there is one: it also tells the format

    def uri(self, scheme: str) -> str:
        return self.name or "inline"


@dataclass(frozen=True)
class ObjectInput(_Carried):
    """A file in object storage (S3, or OBS)."""

    bucket: str
    key: str  # decoded
    etag: str | None = None
    version_id: str | None = None
    origin: str | None = None

    def uri(self, scheme: str) -> str:
        return f"{scheme}://{self.bucket}/{self.key}"

    def home_bucket(self) -> str | None:
        return self.bucket

    def why_ignored(self, export_prefix: str, input_prefix: str) -> str | None:
        # The function's own files land in the bucket too, and must not start it again.
        if self.key.startswith(export_prefix):
            return f"the object is under EXPORT_PREFIX ({export_prefix})"
        if not self.key.startswith(input_prefix):
            return f"the object is outside INPUT_PREFIX ({input_prefix})"
        return None


@dataclass(frozen=True)
class DiscoveryInput(_Carried):
    """Export whatever ListServers finds; `filters` None means the configured default."""

    filters: Mapping[str, Any] | None = None
    origin: str | None = None

    def uri(self, scheme: str) -> str:
        return "discovery"


@dataclass(frozen=True)
class UnusableInput(_Carried):
    """A message that can never succeed (not JSON, nothing recognisable): reported, not retried."""

    error: InputError
    origin: str | None = None


Input = InlineInput | DocumentInput | ObjectInput | DiscoveryInput | UnusableInput


@dataclass(frozen=True)
class Recognised:
    trigger: str
    inputs: list[Input]
    reply: Reply = "outcome"


@dataclass(frozen=True)
class Trigger:
    name: str
    matches: Callable[[Event], bool]
    extract: Callable[[Event], list[Input]]
    reply: Reply = "outcome"


# -- payloads ----------------------------------------------------------------------------------
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


def from_payload(payload: Any, what: str = "the message") -> list[Input]:
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
            return from_payload(payload["Message"], what)  # an SNS envelope (SNS → SQS)
        for trigger in TRIGGERS:
            if trigger.reply == "outcome" and trigger.matches(payload):
                return trigger.extract(payload)
    raise UnknownEvent(f"Unrecognised content in {what} ({describe(payload)})")


def messages(items: Iterable[tuple[str | None, Any]]) -> list[Input]:
    """One message's failure must not sink its neighbours: it becomes an UnusableInput."""
    inputs: list[Input] = []
    for origin, payload in items:
        what = f"message {origin}" if origin else "the message"
        try:
            found = from_payload(payload, what)
        except InputError as error:
            inputs.append(UnusableInput(error, origin))
            continue
        inputs.extend(_with_origin(source, origin) for source in found)
    return inputs


def _with_origin(source: Input, origin: str | None) -> Input:
    return replace(source, origin=origin) if origin and source.origin is None else source


def describe(value: Any) -> str:
    """The shape of what arrived, never its values (they may hold anything)."""
    if isinstance(value, Mapping):
        return f"top-level keys: {sorted(str(key) for key in value)[:12]}"
    return f"a JSON {type(value).__name__}"


# -- object storage ----------------------------------------------------------------------------
def _records(event: Event, key: str = "Records") -> list[Any]:
    records = event.get(key)
    return records if isinstance(records, list) else []


def is_s3_notification(event: Event) -> bool:
    records = _records(event)
    return bool(records) and all(
        isinstance(r, Mapping) and isinstance(r.get("s3"), Mapping) for r in records
    )


def s3_objects(event: Event) -> list[Input]:
    inputs: list[Input] = []
    for record in event["Records"]:
        if not str(record.get("eventName", "ObjectCreated")).startswith("ObjectCreated"):
            continue  # deletions and other notifications carry nothing to export
        s3 = record["s3"]
        stored = s3["object"]
        inputs.append(
            stored_object(
                s3["bucket"]["name"],
                stored["key"],
                stored.get("eTag") or stored.get("etag"),
                stored.get("versionId"),
            )
        )
    return inputs


def stored_object(
    bucket: str, encoded_key: str, etag: str | None, version_id: str | None
) -> ObjectInput:
    """Notifications send keys form-encoded ("+" for a space, "%2F" for "/"), and OBS sends
    the version id "null" for unversioned buckets."""
    if not str(bucket or "").strip() or not str(encoded_key or "").strip():
        raise InputError("InvalidEvent", "The notification names no bucket or no object key")
    return ObjectInput(
        bucket,
        unquote_plus(encoded_key),
        etag,
        version_id if version_id not in (None, "", "null") else None,
    )


def eventgrid_obs_object(event: Event) -> list[Input]:
    if "ObjectCreated" not in str(event.get("type", "ObjectCreated")):
        return []
    obs = event["data"]["obs"]
    stored = obs["object"]
    # The EventGrid trigger is created with Key_encode = true: keys arrive encoded.
    return [
        stored_object(
            obs["bucket"]["name"], stored["key"], stored.get("eTag"), stored.get("versionId")
        )
    ]


def eventbridge_s3_object(event: Event) -> list[Input]:
    detail = event["detail"]
    stored = detail["object"]
    return [
        stored_object(
            detail["bucket"]["name"], stored["key"], stored.get("etag"), stored.get("version-id")
        )
    ]


# -- messages ----------------------------------------------------------------------------------
def timer(event: Event) -> list[Input]:
    user_event = event.get("user_event") or ""
    if not str(user_event).strip():
        return [DiscoveryInput(None)]
    return from_payload(str(user_event), "the timer's user_event")


def smn_messages(event: Event) -> list[Input]:
    return messages(
        (record["smn"].get("message_id"), record["smn"]["message"]) for record in event["record"]
    )


def dms_messages(event: Event) -> list[Input]:
    return messages(
        (f"{record.get('topic_id', 'topic')}#{number}", message)
        for record in event["records"]
        for number, message in enumerate(record.get("messages", []), start=1)
    )


def sqs_messages(event: Event) -> list[Input]:
    return messages((record["messageId"], record["body"]) for record in event["Records"])


def sns_messages(event: Event) -> list[Input]:
    return messages(
        (record["Sns"].get("MessageId"), record["Sns"]["Message"]) for record in event["Records"]
    )


def _source_is(field: str, value: str) -> Callable[[Event], bool]:
    def matches(event: Event) -> bool:
        records = _records(event)
        return bool(records) and all(
            isinstance(r, Mapping) and r.get(field) == value for r in records
        )

    return matches


# -- HTTP --------------------------------------------------------------------------------------
def http_body(event: Event) -> list[Input]:
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
        return from_payload(data, "the request body")
    except InputError as error:
        return [UnusableInput(error)]


def is_http_v2(event: Event) -> bool:
    context = event.get("requestContext")
    return event.get("version") == "2.0" and isinstance(context, Mapping) and "http" in context


def is_http_v1(event: Event) -> bool:
    return "httpMethod" in event and isinstance(event.get("requestContext"), Mapping)


def _has(key: str) -> Callable[[Event], bool]:
    return lambda event: key in event


TRIGGERS: tuple[Trigger, ...] = (
    # Payloads sent as they are: direct invocations, schedules with a custom Input.
    Trigger("direct", _has("task_info"), lambda e: [inline(e["task_info"])]),
    Trigger("object", _has("object"), lambda e: [object_reference(e["object"])]),
    Trigger("discovery", _has("discover"), lambda e: [discovery(e["discover"])]),
    # Object storage: S3 and FunctionGraph's classic OBS trigger, OBS via EventGrid, S3 via
    # EventBridge.
    Trigger("storage", is_s3_notification, s3_objects),
    Trigger("eventgrid-obs", lambda e: e.get("source") == "HC.OBS.DWR", eventgrid_obs_object),
    Trigger(
        "eventbridge-s3",
        lambda e: e.get("source") == "aws.s3" and e.get("detail-type") == "Object Created",
        eventbridge_s3_object,
    ),
    # Schedules.
    Trigger("timer", lambda e: e.get("trigger_type") == "TIMER", timer),
    Trigger(
        "schedule",
        lambda e: e.get("source") == "aws.events" and e.get("detail-type") == "Scheduled Event",
        lambda e: [DiscoveryInput(None)],
    ),
    # Event pipelines.
    Trigger("sqs", _source_is("eventSource", "aws:sqs"), sqs_messages, reply="sqs"),
    Trigger("sns", _source_is("EventSource", "aws:sns"), sns_messages),
    Trigger("smn", lambda e: bool(_records(e, "record")), smn_messages),
    Trigger("kafka", lambda e: e.get("trigger_type") == "KAFKA", dms_messages),
    Trigger("rocketmq", lambda e: e.get("trigger_type") == "ROCKETMQ", dms_messages),
    Trigger(
        "eventbridge",
        lambda e: "detail-type" in e and isinstance(e.get("detail"), Mapping),
        lambda e: from_payload(e["detail"], "the event's detail"),
    ),
    # HTTP: FunctionGraph APIG and API Gateway REST (payload 1.0), Function URLs and HTTP APIs
    # (payload 2.0).
    Trigger("http", is_http_v2, http_body, reply="http"),
    Trigger("http", is_http_v1, http_body, reply="http"),
)


def recognise(event: Any) -> Recognised:
    try:
        jsontext.check_depth(event)  # the platform parsed it: its depth is still ours to bound
    except jsontext.TooDeep as error:
        raise InputError("InvalidEvent", f"The event is {error}") from None
    if isinstance(event, Mapping):
        for trigger in TRIGGERS:
            if trigger.matches(event):
                try:
                    return Recognised(trigger.name, trigger.extract(event), trigger.reply)
                except (KeyError, TypeError, AttributeError) as error:
                    raise InputError(
                        "InvalidEvent", f"The {trigger.name} event lacks the field {error}"
                    ) from None
    raise UnknownEvent(
        f"Unrecognised event ({describe(event)}). Expected an object-storage notification, a "
        'timer, a queue, topic or HTTP event, or a body such as {"task_info": [...]}.'
    )
