"""Every sample in events/ runs through `handler` and gives the expected outcome."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import index
from emulator import EmulatorServer
from localrun.contexts import FunctionGraphContext, LambdaContext
from tests.support import (
    EVENTS,
    INPUT_BUCKET,
    Aws,
    load_event,
    parse_export,
    source_id,
    task_id,
)

OBS_BUCKET = "sms-input-obs"
UPLOADED = "incoming/wave 1/tasks.csv"  # events/tasks.csv: 4 rows, row 5 lacks its source_id
DISCOVERABLE = 3

# sample → (trigger, status, rows exported); each runs on the platform it comes from.
EXPECTED: dict[str, tuple[str, str, int]] = {
    "direct.json": ("direct", "succeeded", 3),
    "s3-upload.json": ("storage", "partial", 3),
    "obs-upload.json": ("storage", "partial", 3),
    "eventgrid-obs-upload.json": ("eventgrid-obs", "partial", 3),
    "timer-discovery.json": ("timer", "succeeded", DISCOVERABLE),
    "timer-object.json": ("timer", "partial", 3),
    "smn-obs-notification.json": ("smn", "partial", 3),
    "kafka-messages.json": ("kafka", "partial", 6),
    "rocketmq-messages.json": ("rocketmq", "succeeded", 3),
    "eventbridge-s3-upload.json": ("eventbridge-s3", "partial", 3),
    "sns-message.json": ("sns", "succeeded", 1),
    "eventbridge-custom.json": ("eventbridge", "succeeded", 3),
    "eventbridge-scheduled.json": ("schedule", "succeeded", DISCOVERABLE),
    "schedule-input.json": ("discovery", "succeeded", DISCOVERABLE),
    "apig-csv.json": ("http", "partial", 3),
    "function-url.json": ("http", "succeeded", 3),
    "apigateway-rest.json": ("http", "succeeded", 3),
    "sqs-batch.json": ("sqs", "", 7),
}
FUNCTIONGRAPH = {
    "obs-upload.json",
    "eventgrid-obs-upload.json",
    "timer-discovery.json",
    "timer-object.json",
    "smn-obs-notification.json",
    "kafka-messages.json",
    "rocketmq-messages.json",
    "apig-csv.json",
}


@pytest.fixture
def world(emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Aws:
    csv = (EVENTS / "tasks.csv").read_bytes()
    aws.s3.create_bucket(Bucket=OBS_BUCKET)
    for bucket in (INPUT_BUCKET, OBS_BUCKET):
        aws.s3.put_object(Bucket=bucket, Key=UPLOADED, Body=csv)
    for number in range(DISCOVERABLE):
        emulator.backend.add_source(source_id(number), f"host-{number}", task_id(number))
    emulator.backend.add_source(source_id(99), "never-checked", task_id(99), has_results=False)
    monkeypatch.setenv("EXPORT_BUCKET", INPUT_BUCKET)
    return aws


def outcomes_of(answer: dict[str, Any]) -> dict[str, Any]:
    if "statusCode" in answer:
        return dict(json.loads(answer["body"]))
    return answer


def exported(outcome: dict[str, Any]) -> int:
    return sum(each["rows"]["exported"] for each in outcome.get("outcomes", [outcome]))


def test_every_sample_has_an_expectation() -> None:
    assert sorted(path.name for path in Path(EVENTS).glob("*.json")) == sorted(EXPECTED)


def on_obs(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """FunctionGraph's storage is OBS, through its own SDK: the emulator's OBS (reached as
    an HTTP proxy for OBS's host) holds the uploads and receives the exports."""
    monkeypatch.setenv("STORAGE_ENDPOINT", "http://obs.cn-north-4.myhuaweicloud.com")
    monkeypatch.setenv("HTTP_PROXY", emulator.endpoint)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for bucket in (INPUT_BUCKET, OBS_BUCKET):
        emulator.backend.create_bucket(bucket)
        sample = (EVENTS / "tasks.csv").read_bytes()
        emulator.backend.put_obs_object(bucket, UPLOADED, sample, "text/csv")


def obs_exported_items(emulator: EmulatorServer) -> list[tuple[str, str, str]]:
    objects = emulator.backend.obs_buckets[INPUT_BUCKET].objects
    return [
        item
        for key in sorted(objects)
        if key.startswith("consistency-results/") and "/batch-" in key
        for item in parse_export(objects[key].data)
    ]


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample(
    world: Aws, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, sample: str
) -> None:
    trigger, status, rows = EXPECTED[sample]
    functiongraph = sample in FUNCTIONGRAPH
    if functiongraph:
        on_obs(emulator, monkeypatch)
    context = FunctionGraphContext() if functiongraph else LambdaContext()
    answer = index.handler(load_event(sample), context)

    if trigger == "sqs":
        assert answer == {"batchItemFailures": []}
    else:
        if trigger == "http":
            assert answer["statusCode"] == 200
            assert answer["headers"]["Content-Type"] == "application/json"
        outcome = outcomes_of(answer)
        assert (outcome["trigger"], outcome["status"]) == (trigger, status)
        assert exported(outcome) == rows
    stored = obs_exported_items(emulator) if functiongraph else world.exported_items()
    assert len(stored) == rows
    json.dumps(answer)  # whatever the platform gets is JSON-serialisable
