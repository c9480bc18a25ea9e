"""Object-storage notifications → objects: S3's and FunctionGraph's classic OBS trigger
(one shape), OBS through EventGrid, S3 through EventBridge."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote_plus

from sms_export.core.errors import InputError
from sms_export.core.input_kinds import Event, Input, ObjectInput, records


def is_s3_notification(event: Event) -> bool:
    found = records(event)
    return bool(found) and all(
        isinstance(r, Mapping) and isinstance(r.get("s3"), Mapping) for r in found
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
