"""Event → inputs. Recognition is a table: one entry per trigger, tried in order.

The input kinds are in input_kinds.py, storage notifications are read by notifications.py,
and every message-carrying trigger shares the payload reader of payloads.py, whose
forwarded events are recognised with this same table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sms_export.core import jsontext
from sms_export.core.errors import InputError, UnknownEvent
from sms_export.core.input_kinds import DiscoveryInput, Event, Input, records
from sms_export.core.notifications import (
    eventbridge_s3_object,
    eventgrid_obs_object,
    is_s3_notification,
    s3_objects,
)
from sms_export.core.payloads import Payloads, discovery, inline, object_reference, shape_of

Reply = Literal["outcome", "http", "sqs"]


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


def _forwarded(event: Event) -> list[Input] | None:
    """An event inside a message, by the triggers whose answer is an outcome (a message
    cannot ask for an HTTP response or an SQS batch answer)."""
    for trigger in TRIGGERS:
        if trigger.reply == "outcome" and trigger.matches(event):
            return trigger.extract(event)
    return None


PAYLOADS = Payloads(_forwarded)


def _source_is(field: str, value: str) -> Callable[[Event], bool]:
    def matches(event: Event) -> bool:
        found = records(event)
        return bool(found) and all(isinstance(r, Mapping) and r.get(field) == value for r in found)

    return matches


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
    Trigger("timer", lambda e: e.get("trigger_type") == "TIMER", PAYLOADS.timer),
    Trigger(
        "schedule",
        lambda e: e.get("source") == "aws.events" and e.get("detail-type") == "Scheduled Event",
        lambda e: [DiscoveryInput(None)],
    ),
    # Event pipelines.
    Trigger("sqs", _source_is("eventSource", "aws:sqs"), PAYLOADS.sqs, reply="sqs"),
    Trigger("sns", _source_is("EventSource", "aws:sns"), PAYLOADS.sns),
    Trigger("smn", lambda e: bool(records(e, "record")), PAYLOADS.smn),
    Trigger("kafka", lambda e: e.get("trigger_type") == "KAFKA", PAYLOADS.dms),
    Trigger("rocketmq", lambda e: e.get("trigger_type") == "ROCKETMQ", PAYLOADS.dms),
    Trigger(
        "eventbridge",
        lambda e: "detail-type" in e and isinstance(e.get("detail"), Mapping),
        PAYLOADS.eventbridge_detail,
    ),
    # HTTP: FunctionGraph APIG and API Gateway REST (payload 1.0), Function URLs and HTTP APIs
    # (payload 2.0).
    Trigger("http", is_http_v2, PAYLOADS.http_body, reply="http"),
    Trigger("http", is_http_v1, PAYLOADS.http_body, reply="http"),
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
        f"Unrecognised event ({shape_of(event)}). Expected an object-storage notification, a "
        'timer, a queue, topic or HTTP event, or a body such as {"task_info": [...]}.'
    )
