from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import settings as hypothesis_settings
from moto import mock_aws

from emulator import EmulatorServer, SmsBackend
from sms_export.adapters import secrets
from sms_export.settings import Settings
from tests.support import ACCESS_KEY, INPUT_BUCKET, SECRET_KEY, Aws

# The same examples on every run, so that CI passes or fails on the code, not on luck;
# HYPOTHESIS_PROFILE=explore searches afresh (and keeps what fails, for replay).
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

SDK_VARIABLES = (
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see only the settings they set, fake AWS credentials, and fast retries."""
    for name in list(os.environ):
        if name.lower() in Settings.model_fields or name.upper() in SDK_VARIABLES:
            monkeypatch.delenv(name)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the SDK writes an app id there
    monkeypatch.setenv("RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("RETRY_MAX_SECONDS", "0.05")
    monkeypatch.setenv("RETRY_THROTTLE_BASE_SECONDS", "0.01")
    monkeypatch.setenv("SMS_READ_TIMEOUT", "2")
    # A lookup per exported source would double the calls of tests about exports; the
    # tests of verdicts (and of the samples and the command line) ask for it: `verdicts`.
    monkeypatch.setenv("CONSISTENCY_SUMMARY", "false")
    # Cloud Eye is never the real one: the emulator's (below), else a port that refuses.
    monkeypatch.setenv("CES_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(secrets, "_secrets", {})  # warm-start cache: one per test


@pytest.fixture
def verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default: a verdict per exported source."""
    monkeypatch.delenv("CONSISTENCY_SUMMARY")


@pytest.fixture
def backend() -> SmsBackend:
    return SmsBackend(credentials={ACCESS_KEY: SECRET_KEY})


@pytest.fixture
def emulator(backend: SmsBackend, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    with EmulatorServer(backend) as server:
        monkeypatch.setenv("SMS_ENDPOINT", server.endpoint)
        monkeypatch.setenv("CES_ENDPOINT", server.endpoint)
        monkeypatch.setenv("CLOUD_SDK_AK", ACCESS_KEY)
        monkeypatch.setenv("CLOUD_SDK_SK", SECRET_KEY)
        yield server


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=INPUT_BUCKET)
        sns = boto3.client("sns", region_name="us-east-1")
        topic_arn = sns.create_topic(Name="sms-export-outcomes")["TopicArn"]
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="outcome-reader")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

        def read_notifications() -> list[dict[str, Any]]:
            """Read what subscribers got, through the public API (SNS → SQS)."""
            received: list[dict[str, Any]] = []
            while True:
                batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
                messages = batch.get("Messages", [])
                if not messages:
                    return received
                for message in messages:
                    received.append(json.loads(message["Body"]))
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

        monkeypatch.setenv("NOTIFY_TOPIC", topic_arn)
        yield Aws(s3, sns, topic_arn, read_notifications)


@pytest.fixture
def exports_bucket(emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Aws:
    monkeypatch.setenv("EXPORT_BUCKET", INPUT_BUCKET)
    monkeypatch.setenv("MAX_CONCURRENCY", "1")
    return aws
