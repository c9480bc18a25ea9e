"""Storage notifications: created objects only, keys decoded, OBS's "null" version dropped."""

from __future__ import annotations

import pytest

from sms_export.core.errors import InputError
from sms_export.core.input_kinds import ObjectInput
from sms_export.core.notifications import (
    eventbridge_s3_object,
    eventgrid_obs_object,
    is_s3_notification,
    s3_objects,
    stored_object,
)


def record(key: str, event_name: str = "ObjectCreated:Put") -> dict[str, object]:
    return {
        "eventName": event_name,
        "s3": {"bucket": {"name": "in"}, "object": {"key": key, "eTag": "e-1"}},
    }


def test_keys_are_form_decoded_and_a_null_version_is_none() -> None:
    assert stored_object("in", "wave+1%2Fa.csv", "e", "null") == ObjectInput(
        "in", "wave 1/a.csv", "e", None
    )
    assert stored_object("in", "a.csv", None, "v-2").version_id == "v-2"
    with pytest.raises(InputError, match="no bucket or no object key"):
        stored_object("in", " ", None, None)


def test_only_created_objects_are_inputs() -> None:
    event = {"Records": [record("a.csv"), record("b.csv", "ObjectRemoved:Delete")]}
    assert is_s3_notification(event)
    assert s3_objects(event) == [ObjectInput("in", "a.csv", "e-1")]
    assert not is_s3_notification({"Records": [record("a.csv"), {"sqs": {}}]})


def test_eventgrid_and_eventbridge_name_their_object() -> None:
    obs = {"bucket": {"name": "in"}, "object": {"key": "a%20b.csv", "versionId": "null"}}
    assert eventgrid_obs_object({"type": "ObjectCreated:Post", "data": {"obs": obs}}) == [
        ObjectInput("in", "a b.csv")
    ]
    assert eventgrid_obs_object({"type": "ObjectRemoved:Delete", "data": {}}) == []
    detail = {"bucket": {"name": "in"}, "object": {"key": "a.csv", "version-id": "v"}}
    assert eventbridge_s3_object({"detail": detail}) == [ObjectInput("in", "a.csv", None, "v")]
