"""Event → inputs. Recognition is a table: one entry per trigger, tried in order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from sms_export.errors import InputError, UnknownEvent


@dataclass(frozen=True)
class InlineInput:
    """Triples carried by the event itself."""

    items: list[Any]


@dataclass(frozen=True)
class ObjectInput:
    """A file in object storage (S3, or OBS through its S3-compatible API)."""

    bucket: str
    key: str  # decoded
    etag: str | None = None
    version_id: str | None = None


Input = InlineInput | ObjectInput
Event = Mapping[str, Any]


@dataclass(frozen=True)
class Recognised:
    trigger: str
    inputs: list[Input]


@dataclass(frozen=True)
class Trigger:
    name: str
    matches: Callable[[Event], bool]
    extract: Callable[[Event], list[Input]]


def _inline(event: Event) -> list[Input]:
    items = event["task_info"]
    if not isinstance(items, list):
        raise InputError(
            "InvalidEvent",
            "task_info must be a list of objects with task_id, "
            f"source_id and source_name, not {type(items).__name__}",
        )
    return [InlineInput(items)]


def _is_storage_notification(event: Event) -> bool:
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(
            isinstance(record, Mapping) and isinstance(record.get("s3"), Mapping)
            for record in records
        )
    )


def _storage_objects(event: Event) -> list[Input]:
    inputs: list[Input] = []
    for record in event["Records"]:
        if not str(record.get("eventName", "ObjectCreated")).startswith("ObjectCreated"):
            continue  # deletions and other notifications carry nothing to export
        s3 = record["s3"]
        stored = s3.get("object", {})
        # AWS and OBS send keys form-encoded: "+" for a space, "%2F" for "/".
        inputs.append(
            ObjectInput(
                bucket=s3["bucket"]["name"],
                key=unquote_plus(stored["key"]),
                etag=stored.get("eTag") or stored.get("etag"),
                version_id=stored.get("versionId") if stored.get("versionId") != "null" else None,
            )
        )
    return inputs


TRIGGERS: tuple[Trigger, ...] = (
    Trigger("direct", lambda event: "task_info" in event, _inline),
    Trigger("storage", _is_storage_notification, _storage_objects),
)


def recognise(event: Any) -> Recognised:
    if isinstance(event, Mapping):
        for trigger in TRIGGERS:
            if trigger.matches(event):
                try:
                    return Recognised(trigger.name, trigger.extract(event))
                except (KeyError, TypeError, AttributeError) as error:
                    raise InputError(
                        "InvalidEvent", f"A {trigger.name} event without the expected {error}"
                    ) from None
    shape = sorted(event)[:8] if isinstance(event, Mapping) else type(event).__name__
    raise UnknownEvent(
        f'Unrecognised event (top-level keys: {shape}). Send {{"task_info": [...]}} or an '
        "object-storage upload notification."
    )
