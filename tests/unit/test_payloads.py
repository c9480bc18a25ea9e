"""What a message carries, read by one reader for every message-carrying trigger."""

from __future__ import annotations

import pytest

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
from sms_export.core.payloads import Payloads, object_reference, shape_of


def forwarded(event: Event) -> list[Input] | None:
    """A table that knows one forwarded event."""
    return [DiscoveryInput()] if "discover" in event else None


PAYLOADS = Payloads(forwarded)


def test_a_payload_holds_triples_or_a_forwarded_event_even_inside_an_sns_envelope() -> None:
    assert PAYLOADS.read('[{"task_id": "t"}]') == [InlineInput([{"task_id": "t"}])]
    assert PAYLOADS.read({"discover": {}}) == [DiscoveryInput()]
    envelope = {"Type": "Notification", "Message": '{"discover": {}}'}
    assert PAYLOADS.read(envelope) == [DiscoveryInput()]
    assert PAYLOADS.read({"Event": "s3:TestEvent"}) == []


def test_an_unknown_payload_is_described_by_its_shape_never_its_values() -> None:
    with pytest.raises(UnknownEvent) as raised:
        PAYLOADS.read({"password": "hunter2"}, "message m-1")
    assert "hunter2" not in raised.value.message
    assert shape_of({"password": "hunter2"}) == "top-level keys: ['password']"
    assert shape_of(3) == "a JSON int"


def test_one_bad_message_does_not_sink_its_neighbours() -> None:
    found = PAYLOADS.each([("m-1", "not json"), ("m-2", "[]"), (None, "  ")])
    assert isinstance(found[0], UnusableInput)
    assert (found[0].origin, found[0].error.code) == ("m-1", "InvalidMessage")
    assert found[1] == InlineInput([], origin="m-2")
    assert isinstance(found[2], UnusableInput)
    assert found[2].error.code == "EmptyMessage"


def test_a_timer_without_a_user_event_discovers() -> None:
    assert PAYLOADS.timer({"user_event": " "}) == [DiscoveryInput()]
    assert PAYLOADS.timer({"user_event": '{"discover": {}}'}) == [DiscoveryInput()]


def test_an_http_body_that_is_not_json_is_a_file() -> None:
    headers = {"Content-Type": "text/csv"}
    event = {"body": "dGFza19pZAo=", "isBase64Encoded": True, "headers": headers}
    assert PAYLOADS.http_body(event) == [DocumentInput(b"task_id\n", "text/csv")]
    (unusable,) = PAYLOADS.http_body({"body": "%%", "isBase64Encoded": True})
    assert isinstance(unusable, UnusableInput)
    assert unusable.error.code == "InvalidBody"


def test_an_object_reference_is_obs_or_s3_with_a_bucket_and_a_key() -> None:
    assert object_reference("obs://in/a/b.csv") == ObjectInput("in", "a/b.csv")
    for wrong in ("https://in/a.csv", "s3://in", "s3:///a.csv"):
        with pytest.raises(InputError, match="must look like"):
            object_reference(wrong)
