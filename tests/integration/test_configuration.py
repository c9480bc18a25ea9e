"""Credentials come from the documented places in order; bad settings fail before any call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import index
from emulator import EmulatorServer
from localrun.contexts import FunctionGraphContext, LambdaContext
from sms_export.adapters import platform
from sms_export.adapters.sms import endpoints
from sms_export.core.errors import ConfigurationError, RetryLater
from sms_export.credentials import resolve
from sms_export.settings import Settings
from tests.support import load_event

AGENCY = FunctionGraphContext(
    access_key="AGENCY-AK",
    secret_key="AGENCY-SK",
    security_token="AGENCY-TOKEN",
    project_id="fg-project",
)


def resolved_source(context: object) -> tuple[str, str]:
    found = resolve(Settings.load(), platform.describe(context))
    return found.source, found.access_key.get_secret_value()


def test_cloud_sdk_variables_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUD_SDK_AK", "sample-ak")
    monkeypatch.setenv("CLOUD_SDK_SK", "sample-sk")
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "sdk-ak")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "sdk-sk")
    assert resolved_source(AGENCY) == ("CLOUD_SDK_AK/CLOUD_SDK_SK", "sample-ak")


def test_then_the_sdk_variables_with_token_and_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "sdk-ak")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "sdk-sk")
    monkeypatch.setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "sdk-token")
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "sdk-project")
    found = resolve(Settings.load(), platform.describe(AGENCY))
    assert found.access_key.get_secret_value() == "sdk-ak"
    assert found.security_token is not None
    assert found.security_token.get_secret_value() == "sdk-token"
    assert found.project_id == "sdk-project"


def test_then_the_functiongraph_agency() -> None:
    found = resolve(Settings.load(), platform.describe(AGENCY))
    assert found.source == "FunctionGraph agency"
    assert found.secrets() == ["AGENCY-AK", "AGENCY-SK", "AGENCY-TOKEN"]
    assert found.project_id == "fg-project"


def test_half_a_pair_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUD_SDK_AK", "sample-ak")
    with pytest.raises(ConfigurationError, match="CLOUD_SDK_AK is set but CLOUD_SDK_SK is not"):
        resolve(Settings.load(), platform.describe(LambdaContext()))


def test_agency_credentials_sign_real_calls(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUD_SDK_AK")
    monkeypatch.delenv("CLOUD_SDK_SK")
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    emulator.backend.credentials = {"AGENCY-AK": "AGENCY-SK"}
    outcome = index.handler(load_event("direct.json"), AGENCY)
    assert outcome["status"] == "succeeded"
    assert {call.headers["x-security-token"] for call in emulator.backend.calls} == {"AGENCY-TOKEN"}
    assert {call.headers["x-project-id"] for call in emulator.backend.calls} == {"fg-project"}


def test_missing_credentials_fail_once_clearly_before_any_call(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUD_SDK_AK")
    monkeypatch.delenv("CLOUD_SDK_SK")
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    with pytest.raises(RetryLater) as raised:  # fixable: the platform keeps the event
        index.handler(load_event("direct.json"), FunctionGraphContext())  # no agency
    outcome = raised.value.answer
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "ConfigurationError"
    for name in ("CLOUD_SDK_AK", "CLOUD_SDK_SK", "HUAWEICLOUD_SDK_AK", "agency"):
        assert name in outcome["error"]["message"]
    assert emulator.backend.calls == []
    assert emulator.backend.auth_failures == []


def test_invalid_settings_are_one_readable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_SIZE", "500")
    monkeypatch.setenv("MAX_CONCURRENCY", "zero")
    with pytest.raises(RetryLater) as raised:  # fixable: the platform keeps the event
        index.handler(load_event("direct.json"), LambdaContext())
    outcome = raised.value.answer
    assert outcome["error"]["code"] == "ConfigurationError"
    assert "BATCH_SIZE: Input should be less than or equal to 200" in outcome["error"]["message"]
    assert "MAX_CONCURRENCY" in outcome["error"]["message"]


def test_no_export_destination_is_a_configuration_error(emulator: EmulatorServer) -> None:
    with pytest.raises(RetryLater) as raised:  # fixable: the platform keeps the event
        index.handler(load_event("direct.json"), LambdaContext())
    outcome = raised.value.answer
    assert outcome["error"]["code"] == "ConfigurationError"
    assert "EXPORT_BUCKET" in outcome["error"]["message"]
    assert emulator.backend.calls == []


def test_the_region_picks_the_sdk_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    assert endpoints(Settings.load()) == ["https://sms.cn-north-4.myhuaweicloud.com"]
    monkeypatch.setenv("SMS_REGION", "ap-southeast-3")
    assert endpoints(Settings.load()) == ["https://sms.ap-southeast-3.myhuaweicloud.com"]
    monkeypatch.setenv("SMS_ENDPOINT", "http://127.0.0.1:9")
    assert endpoints(Settings.load()) == ["http://127.0.0.1:9"]


def test_an_unknown_region_lists_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_REGION", "mars-1")
    with pytest.raises(ConfigurationError, match="cn-north-4"):
        endpoints(Settings.load())


def test_the_notify_topic_must_be_an_sns_arn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_TOPIC", "my-topic")
    with pytest.raises(ConfigurationError, match="NOTIFY_TOPIC"):
        Settings.load()


def test_the_lambda_and_functiongraph_contexts_are_told_apart() -> None:
    assert platform.describe(LambdaContext(aws_request_id="r-1")).platform == "lambda"
    assert platform.describe(FunctionGraphContext(request_id="r-2")).request_id == "r-2"
    assert platform.describe(None).platform == "local"


def test_functiongraph_user_data_supplies_settings_the_environment_lacks(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Encrypted settings reach the function only through context.getUserData."""
    secret_key = emulator.backend.credentials[os.environ["CLOUD_SDK_AK"]]
    monkeypatch.delenv("CLOUD_SDK_SK")
    monkeypatch.setenv("BATCH_SIZE", "2")
    context = FunctionGraphContext(
        user_data={
            "CLOUD_SDK_SK": secret_key,
            "EXPORT_DIR": str(tmp_path),
            "BATCH_SIZE": "50",  # the environment wins where both are set
        }
    )
    outcome = index.handler(load_event("direct.json"), context)
    assert outcome["status"] == "succeeded"
    assert len(outcome["batches"]) == 2


def test_the_libraries_loaded_are_logged_once_per_process(
    emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """FunctionGraph bundles older copies of these: the line proves which ones ran."""
    import importlib
    import json
    from importlib.metadata import version

    from sms_export.adapters.huaweisdk import report_libraries

    report_libraries.cache_clear()
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    event = load_event("direct.json")
    index.handler(event, LambdaContext())
    index.handler(event, LambdaContext())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    reports = [line for line in lines if line.get("message") == "sms-consistency-export libraries"]
    assert len(reports) == 1
    for name in ("huaweicloudsdkcore", "requests", "urllib3"):
        module = importlib.import_module(name)
        assert reports[0]["libraries"][name] == {"version": version(name), "path": module.__file__}


def test_id_format_any_lets_ids_of_another_format_through(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    items = [
        {"task_id": "task-1", "source_id": "src-1", "source_name": "web-01"},
        {"task_id": "task-\uff12", "source_id": "src-2", "source_name": "web-02"},  # fullwidth 2
    ]
    refused = index.handler({"task_info": items}, LambdaContext())
    assert (refused["status"], refused["rows"]["exported"]) == ("failed", 0)
    assert [r["reason"].split(":")[0] for r in refused["rejected"]] == [
        "task_id is not an SMS id",
        "task_id contains a non-ASCII character (U+FF12 Fullwidth Digit Two) at position 6",
    ]
    monkeypatch.setenv("ID_FORMAT", "any")
    relaxed = index.handler({"task_info": items}, LambdaContext())
    assert (relaxed["status"], relaxed["rows"]["exported"]) == ("partial", 1)
    assert [item[:2] for call in emulator.backend.calls for item in call.items] == [
        ("task-1", "src-1")
    ]


def test_an_unknown_id_format_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ID_FORMAT", "guid")
    with pytest.raises(ConfigurationError, match="ID_FORMAT: Input should be 'uuid' or 'any'"):
        Settings.load()
