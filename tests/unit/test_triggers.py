"""Events are recognised by their shape; object keys are decoded."""

from __future__ import annotations

import pytest

from sms_export.core.errors import InputError
from sms_export.core.input_kinds import InlineInput, ObjectInput
from sms_export.core.triggers import recognise
from tests.support import load_event, upload_event


def test_direct_invocation_with_the_api_body() -> None:
    recognised = recognise(load_event("direct.json"))
    assert recognised.trigger == "direct"
    (source,) = recognised.inputs
    assert isinstance(source, InlineInput)
    assert len(source.items) == 3


def test_task_info_must_be_a_list() -> None:
    with pytest.raises(InputError, match="task_info must be a list"):
        recognise({"task_info": "t-1,s-1,web"})


@pytest.mark.parametrize(
    ("event_file", "bucket", "key"),
    [
        ("s3-upload.json", "sms-input-123456789012", "incoming/wave 1/tasks.csv"),
        ("obs-upload.json", "sms-input-obs", "incoming/wave 1/tasks.csv"),
    ],
)
def test_storage_notifications_from_s3_and_obs(event_file: str, bucket: str, key: str) -> None:
    recognised = recognise(load_event(event_file))
    assert recognised.trigger == "storage"
    (source,) = recognised.inputs
    assert isinstance(source, ObjectInput)
    assert (source.bucket, source.key) == (bucket, key)
    assert source.version_id is None  # OBS sends the string "null" for unversioned buckets


@pytest.mark.parametrize(
    "key",
    [
        "plain.csv",
        "in/a b+c.csv",
        "in/年度 迁移/服务器+清单.csv",
        "a%2Fb.csv",
        "folder/sub folder/x.csv",
    ],
)
def test_keys_arrive_form_encoded_and_are_decoded(key: str) -> None:
    (source,) = recognise(upload_event("bucket-1", key)).inputs
    assert isinstance(source, ObjectInput)
    assert source.key == key


def test_obs_style_encoded_slashes_are_decoded() -> None:
    event = upload_event("bucket-1", "x")
    event["Records"][0]["s3"]["object"]["key"] = "incoming%2F%E6%9C%8D%E5%8A%A1%E5%99%A8+1.csv"
    (source,) = recognise(event).inputs
    assert isinstance(source, ObjectInput)
    assert source.key == "incoming/服务器 1.csv"


def test_deletions_carry_no_input() -> None:
    event = upload_event("bucket-1", "x.csv")
    event["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    assert recognise(event).inputs == []


def test_an_unknown_event_is_a_clear_error() -> None:
    with pytest.raises(InputError) as raised:
        recognise({"hello": "world"})
    assert raised.value.code == "UnknownEvent"
    assert "hello" in raised.value.message


def test_a_storage_notification_without_a_key_is_a_clear_error() -> None:
    with pytest.raises(InputError) as raised:
        recognise({"Records": [{"s3": {"bucket": {"name": "b"}, "object": {}}}]})
    assert raised.value.code == "InvalidEvent"
    assert "'key'" in raised.value.message
