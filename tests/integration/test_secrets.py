"""On AWS the Huawei keys come from Secrets Manager, read at run time and cached while warm."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

import index
from emulator import EmulatorServer
from localrun.contexts import LambdaContext
from sms_export.core.errors import RetryLater
from tests.support import load_event

SECRET = "sms-export/huawei-credentials"


@pytest.fixture
def secret(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    monkeypatch.delenv("CLOUD_SDK_AK")
    monkeypatch.delenv("CLOUD_SDK_SK")
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    monkeypatch.setenv("HUAWEI_CREDENTIALS_SECRET", SECRET)
    emulator.backend.credentials = {"SECRET-AK-1": "secret-sk-1", "SECRET-AK-2": "secret-sk-2"}
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(
            Name=SECRET,
            SecretString=json.dumps(
                {"ak": "SECRET-AK-1", "sk": "secret-sk-1", "project_id": "p-1"}
            ),
        )
        yield client


def access_keys(emulator: EmulatorServer) -> list[str]:
    return [call.access_key for call in emulator.backend.calls]


def test_the_secret_signs_and_is_cached_while_warm(
    secret: object,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = index.handler(load_event("direct.json"), LambdaContext())
    assert outcome["status"] == "succeeded"
    assert emulator.backend.calls[0].headers["x-project-id"] == "p-1"

    client = boto3.client("secretsmanager", region_name="us-east-1")
    client.put_secret_value(
        SecretId=SECRET, SecretString=json.dumps({"ak": "SECRET-AK-2", "sk": "secret-sk-2"})
    )
    index.handler(load_event("direct.json"), LambdaContext())
    assert set(access_keys(emulator)) == {"SECRET-AK-1"}  # warm: the cached value

    monkeypatch.setattr("sms_export.credentials.SECRET_CACHE_SECONDS", 0.0)
    index.handler(load_event("direct.json"), LambdaContext())
    assert access_keys(emulator)[-1] == "SECRET-AK-2"  # expired: read again
    assert "secret-sk" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", 'must be JSON with "ak" and "sk"'),
        (json.dumps({"ak": "only-the-ak"}), 'must be JSON with "ak" and "sk"'),
    ],
)
def test_a_malformed_secret_is_a_clear_error(
    secret: object, emulator: EmulatorServer, value: str, message: str
) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=SECRET, SecretString=value
    )
    with pytest.raises(RetryLater) as raised:  # fixable: the platform keeps the event
        index.handler(load_event("direct.json"), LambdaContext())
    outcome = raised.value.answer
    assert outcome["error"]["code"] == "ConfigurationError"
    assert message in outcome["error"]["message"]
    assert "only-the-ak" not in json.dumps(outcome)
    assert emulator.backend.calls == []


def test_a_missing_secret_is_named(secret: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEI_CREDENTIALS_SECRET", "no/such/secret")
    with pytest.raises(RetryLater) as raised:  # fixable: the platform keeps the event
        index.handler(load_event("direct.json"), LambdaContext())
    outcome = raised.value.answer
    assert "no/such/secret" in outcome["error"]["message"]
    assert "ResourceNotFoundException" in outcome["error"]["message"]


def test_the_placeholder_the_template_creates_says_what_to_do(
    secret: object, emulator: EmulatorServer
) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=SECRET, SecretString='{"ak": "", "sk": ""}'
    )
    with pytest.raises(RetryLater) as raised:  # fixable: the platform keeps the event
        index.handler(load_event("direct.json"), LambdaContext())
    outcome = raised.value.answer
    assert "holds no keys yet" in outcome["error"]["message"]
    assert emulator.backend.calls == []
