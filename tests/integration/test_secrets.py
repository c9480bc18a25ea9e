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
from localrun.contexts import FunctionGraphContext, LambdaContext
from sms_export.core.errors import RetryLater
from sms_export.core.redaction import MIN_PREFIX
from tests.support import ACCESS_KEY, SECRET_KEY, Aws, csv_text, load_event, triples

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

    monkeypatch.setattr("sms_export.adapters.secrets.SECRET_CACHE_SECONDS", 0.0)
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


# -- keys as operators set them: a newline from Terraform's file() or a pasted Enter ---------
@pytest.mark.parametrize(
    ("ak_name", "sk_name"),
    [("CLOUD_SDK_AK", "CLOUD_SDK_SK"), ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK")],
)
def test_whitespace_around_a_key_is_dropped_when_the_settings_load(
    emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ak_name: str,
    sk_name: str,
) -> None:
    monkeypatch.delenv("CLOUD_SDK_AK")
    monkeypatch.delenv("CLOUD_SDK_SK")
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    monkeypatch.setenv(ak_name, ACCESS_KEY + "\n")
    monkeypatch.setenv(sk_name, " " + SECRET_KEY + "\r\n")
    outcome = index.handler(load_event("direct.json"), LambdaContext())
    assert outcome["status"] == "succeeded"
    assert set(access_keys(emulator)) == {ACCESS_KEY}


def test_whitespace_around_the_secrets_keys_is_dropped(
    secret: object, emulator: EmulatorServer
) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=SECRET, SecretString=json.dumps({"ak": "SECRET-AK-1\n", "sk": "secret-sk-1\n"})
    )
    assert index.handler(load_event("direct.json"), LambdaContext())["status"] == "succeeded"
    assert access_keys(emulator) == ["SECRET-AK-1"]


DAMAGED = "HWTESTACC\nESSKEY0001"  # a newline inside: no guess is made


@pytest.mark.parametrize(
    "name",
    [
        "CLOUD_SDK_AK",
        "CLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    ],
)
def test_a_key_with_whitespace_inside_is_refused_by_name_never_by_value(
    emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    monkeypatch.setenv(name, DAMAGED)
    with pytest.raises(RetryLater) as raised:  # fixable: the platform keeps the event
        index.handler(load_event("direct.json"), LambdaContext())
    error = raised.value.answer["error"]
    assert error["code"] == "ConfigurationError"
    assert error["message"] == (
        f"Invalid configuration: {name}: Value error, holds whitespace or a control "
        "character at position 10 of 20: a key is one word; set it again"
    )
    assert "HWTESTAC" not in capsys.readouterr().out
    assert emulator.backend.calls == []  # refused before any call, so never retried


@pytest.mark.parametrize("name", ["ak", "sk"])
def test_a_secret_holding_a_key_with_whitespace_inside_is_refused_by_name(
    secret: object, emulator: EmulatorServer, name: str
) -> None:
    keys = {"ak": "SECRET-AK-1", "sk": "secret-sk-1", name: DAMAGED}
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=SECRET, SecretString=json.dumps(keys)
    )
    with pytest.raises(RetryLater) as raised:
        index.handler(load_event("direct.json"), LambdaContext())
    outcome = raised.value.answer
    assert outcome["error"]["message"] == (
        f'The secret {SECRET}\'s "{name}" holds whitespace or a control character at '
        "position 10 of 20: a key is one word; set it again"
    )
    assert "HWTESTAC" not in json.dumps(outcome)
    assert emulator.backend.calls == []


def test_a_credential_the_http_library_refuses_is_hidden_everywhere_and_not_retried(
    emulator: EmulatorServer,
    aws: Aws,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The agency's credentials come from the platform, unchecked: a token with a newline
    inside is refused by the HTTP library, which quotes the header, newline escaped."""
    monkeypatch.delenv("CLOUD_SDK_AK")
    monkeypatch.delenv("CLOUD_SDK_SK")
    token = "gQpjbi1ub3J0aC00" + "x" * 40 + "\n" + "y" * 40
    agency = FunctionGraphContext(
        access_key="AGENCYACCESSKEY00001", secret_key="agency-secret-key-0001", security_token=token
    )
    outcome = index.handler(aws.upload("in/t.csv", csv_text(triples(3))), agency)

    (batch,) = outcome["batches"]
    assert batch["error_code"] == "InvalidHeader"
    assert batch["attempts"] == 1  # refused the same way every time: not retried
    assert batch["retryable"] is False
    captured = capfd.readouterr()
    stored = aws.stored()
    assert any(key.endswith("/report.html") for key in stored)
    assert any(key.endswith("/outcome.json") for key in stored)
    files = [content.decode("utf-8", "replace") for content in stored.values()]
    published = json.dumps(aws.read_notifications())
    assert "InvalidHeader" in published
    for text in (json.dumps(outcome), captured.out, captured.err, published, *files):
        for secret in (token, agency.access_key, agency.secret_key):
            for form in (secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]):
                assert form[:MIN_PREFIX] not in text
