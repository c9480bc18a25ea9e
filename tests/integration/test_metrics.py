"""Metrics on both clouds: EMF read back from standard output, Cloud Eye data read back
from the emulator (signature checked), METRICS=off, and a metrics endpoint that fails."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

import index
from emulator import EmulatorServer, Fault
from localrun.contexts import FunctionGraphContext, LambdaContext
from sms_export.core.errors import ConfigurationError
from sms_export.settings import Settings
from tests.support import ACCESS_KEY, SECRET_KEY, triples

METRICS = {"RowsReceived", "RowsRejected", "RowsExported", "BatchesFailed", "DurationMs"}


def direct(rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    names = ("task_id", "source_id", "source_name")
    return {"task_info": [dict(zip(names, row, strict=True)) for row in rows]}


@pytest.fixture
def agency(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> FunctionGraphContext:
    """A FunctionGraph context whose agency's temporary credentials sign every call."""
    monkeypatch.delenv("CLOUD_SDK_AK")
    monkeypatch.delenv("CLOUD_SDK_SK")
    return FunctionGraphContext(
        access_key=ACCESS_KEY, secret_key=SECRET_KEY, security_token="agency-token"
    )


@pytest.fixture(autouse=True)
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


def emf_lines(captured: str) -> list[dict[str, Any]]:
    documents = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [document for document in documents if "_aws" in document]


def test_lambda_writes_one_emf_document_per_input(
    emulator: EmulatorServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [*triples(3), ("", "s", "n")]
    outcome = index.handler(direct(rows), LambdaContext())
    (document,) = emf_lines(capsys.readouterr().out)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "SmsExport.Consistency"
    assert directive["Dimensions"] == [["FunctionName", "Trigger"], ["FunctionName"]]
    assert {m["Name"] for m in directive["Metrics"]} == METRICS
    assert (document["FunctionName"], document["Trigger"]) == ("sms-consistency-export", "direct")
    assert (document["RowsReceived"], document["RowsRejected"], document["RowsExported"]) == (
        4,
        1,
        3,
    )
    assert document["DurationMs"] == outcome["duration_ms"]
    assert emulator.backend.metric_data == []  # Lambda: no Cloud Eye


@pytest.mark.usefixtures("verdicts")
def test_functiongraph_puts_cloud_eye_metrics_signed_by_its_agency(
    emulator: EmulatorServer, capsys: pytest.CaptureFixture[str], agency: FunctionGraphContext
) -> None:
    outcome = index.handler(direct(triples(8)), agency)
    data = emulator.backend.metric_data
    assert {item["metric"]["metric_name"] for item in data} == METRICS | {"SourcesInconsistent"}
    values = {item["metric"]["metric_name"]: item["value"] for item in data}
    assert values["RowsExported"] == 8
    assert values["SourcesInconsistent"] == outcome["consistency"]["inconsistent"]
    assert len(data) == 2 * len(values)  # each per trigger, and for the whole function
    assert {item["project_id"] for item in data} == {agency.project_id}
    assert {item["metric"]["namespace"] for item in data} == {"SmsExport.Consistency"}
    function = {"name": "FunctionName", "value": "sms-consistency-export"}
    assert {json.dumps(item["metric"]["dimensions"]) for item in data} == {
        json.dumps([function, {"name": "Trigger", "value": "direct"}]),
        json.dumps([function]),
    }
    assert emulator.backend.auth_failures == []  # the gateway's signature check passed
    assert emf_lines(capsys.readouterr().out) == []  # FunctionGraph: no EMF


def test_metrics_off_publishes_nothing(
    emulator: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    agency: FunctionGraphContext,
) -> None:
    monkeypatch.setenv("METRICS", "off")
    index.handler(direct(triples(2)), agency)
    monkeypatch.setenv("CLOUD_SDK_AK", ACCESS_KEY)  # Lambda has no agency
    monkeypatch.setenv("CLOUD_SDK_SK", SECRET_KEY)
    index.handler(direct(triples(2)), LambdaContext())
    assert emulator.backend.metric_data == []
    assert emf_lines(capsys.readouterr().out) == []


def test_metrics_can_be_forced_either_way(
    emulator: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    agency: FunctionGraphContext,
) -> None:
    monkeypatch.setenv("METRICS", "emf")
    index.handler(direct(triples(2)), agency)
    assert len(emf_lines(capsys.readouterr().out)) == 1
    assert emulator.backend.metric_data == []


@pytest.mark.parametrize(
    "failure",
    [
        None,  # nothing listens there
        Fault.server_error(500),
        Fault.sms_error(401, "APIGW.0301", "Incorrect IAM authentication information"),
    ],
)
def test_a_failing_metrics_endpoint_is_logged_and_never_fails_the_export(
    emulator: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    agency: FunctionGraphContext,
    failure: Fault | None,
) -> None:
    if failure is None:
        monkeypatch.setenv("CES_ENDPOINT", "http://127.0.0.1:9")
    else:
        emulator.backend.inject(failure, action="create_metric_data")
    outcome = index.handler(direct(triples(3)), agency)
    assert (outcome["status"], outcome["rows"]["exported"]) == ("succeeded", 3)
    assert emulator.backend.metric_data == []
    (warning,) = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if "metrics not published" in line
    ]
    assert (warning["level"], warning["service"]) == ("WARNING", "ces")
    if failure is not None:
        assert warning["error"].startswith(failure.error_code or str(failure.status))
    assert SECRET_KEY not in json.dumps(warning)


def test_an_unusable_namespace_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_NAMESPACE", "Acme/SMS")
    with pytest.raises(ConfigurationError, match="METRICS_NAMESPACE must be Cloud Eye's"):
        Settings.load()
    monkeypatch.setenv("METRICS", "emf")  # CloudWatch takes it
    assert Settings.load().metrics_namespace == "Acme/SMS"
    monkeypatch.setenv("METRICS", "ces")
    for refused in ("SYS.ECS", "Smé.Export", "Sms", "A.b" + "c" * 30):
        monkeypatch.setenv("METRICS_NAMESPACE", refused)
        with pytest.raises(ConfigurationError, match="METRICS_NAMESPACE must be"):
            Settings.load()


def test_the_emulator_refuses_what_cloud_eye_refuses(emulator: EmulatorServer) -> None:
    from emulator.exceptions import ApiError

    metric: dict[str, Any] = {
        "namespace": "SmsExport.Consistency",
        "metric_name": "RowsExported",
        "dimensions": [{"name": "Trigger", "value": "direct"}],
    }
    good: dict[str, Any] = {
        "metric": {
            "namespace": "SmsExport.Consistency",
            "metric_name": "RowsExported",
            "dimensions": [{"name": "Trigger", "value": "direct"}],
        },
        "ttl": 3600,
        "collect_time": int(time.time() * 1000),
        "value": 1,
    }
    emulator.backend.put_metric_data("p", json.dumps([good]).encode())
    for broken in (
        {**good, "ttl": 0},
        {**good, "value": "x"},
        {**good, "collect_time": 1},
        {**good, "metric": {**metric, "namespace": "SYS.ECS"}},
        {**good, "metric": {**metric, "dimensions": []}},
        {**good, "metric": {**metric, "metric_name": "1st"}},
    ):
        with pytest.raises(ApiError):
            emulator.backend.put_metric_data("p", json.dumps([broken]).encode())
    assert len(emulator.backend.metric_data) == 1


def test_an_event_of_several_inputs_puts_each_inputs_metrics_through_one_client(
    emulator: EmulatorServer, agency: FunctionGraphContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sms_export.adapters.cloudeye
    from sms_export.adapters.huaweisdk import build_client as real

    built: list[object] = []

    def counted(*arguments: Any, **keywords: Any) -> Any:
        built.append(arguments[0])
        return real(*arguments, **keywords)

    monkeypatch.setattr(sms_export.adapters.cloudeye, "build_client", counted)
    from tests.support import load_event

    event = load_event("rocketmq-messages.json")
    event["records"][0]["messages"] += [json.dumps(direct(triples(2, start=n))) for n in (10, 20)]
    answer = index.handler(event, agency)
    inputs = len(answer["outcomes"])
    assert inputs == 3
    exported = [
        i["value"]
        for i in emulator.backend.metric_data
        if i["metric"]["metric_name"] == "RowsExported"
    ]
    assert len(exported) == 2 * inputs  # per trigger and for the function, for each input
    assert len(built) == 1
