"""The fixtures of tests that talk to something: the emulator of the Huawei endpoints and
moto. Here, not in the root conftest, so that tests/unit imports neither."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emulator import EmulatorServer, SmsBackend
from tests.support import ACCESS_KEY, INPUT_BUCKET, SECRET_KEY, Aws


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
