"""End to end: `index.handler` on real events, the real SDK against the emulator, moto S3/SNS."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

import index
from emulator import EmulatorServer
from localrun.contexts import FunctionGraphContext, LambdaContext
from sms_export.models import HuaweiCredentials
from sms_export.settings import Settings
from sms_export.storage import make_s3_client
from tests.support import (
    ACCESS_KEY,
    EVENTS,
    INPUT_BUCKET,
    SECRET_KEY,
    Aws,
    batch_file,
    csv_text,
    load_event,
    parse_export,
    triples,
)


@pytest.mark.parametrize("count", [200, 201, 1000])
def test_an_upload_is_exported_exactly_once_with_one_notification(
    emulator: EmulatorServer, aws: Aws, count: int
) -> None:
    rows = triples(count)
    outcome = index.handler(aws.upload("incoming/tasks.csv", csv_text(rows)), LambdaContext())

    assert outcome["status"] == "succeeded"
    assert outcome["rows"] == {
        "received": count,
        "valid": count,
        "rejected": 0,
        "duplicates": 0,
        "exported": count,
        "blank": 0,
        "comments": 0,
        "headers": 0,
    }
    exported = aws.exported_items()
    assert Counter(exported) == Counter(rows)  # every row, exactly once
    stored = [key for key in aws.stored("consistency-results/") if "/batch-" in key]
    assert sorted(batch["export"] for batch in outcome["batches"]) == sorted(
        f"s3://{INPUT_BUCKET}/{key}" for key in stored
    )
    for batch in outcome["batches"]:
        assert batch["size"] <= 200
        assert batch["request_id"]
    (notification,) = aws.read_notifications()
    assert json.loads(notification["Message"])["rows"]["exported"] == count
    assert notification["Subject"].startswith("SMS consistency export succeeded")
    assert outcome["notification"]["status"] == "published"


def test_bad_rows_are_reported_by_row_number_and_the_rest_exported(
    emulator: EmulatorServer, aws: Aws
) -> None:
    rows: list[list[str]] = [list(row) for row in triples(50)]
    rows[4][0] = ""  # spreadsheet row 6
    rows[20][2] = "x" * 256  # row 22
    rows[47][1] = "bad\x01id"  # row 49
    outcome = index.handler(aws.upload("incoming/tasks.csv", csv_text(rows)), LambdaContext())

    assert outcome["status"] == "partial"
    assert [r["row"] for r in outcome["rejected"]] == [6, 22, 49]
    assert outcome["rejected"][0]["reason"] == "task_id is empty"
    assert outcome["rows"]["exported"] == 47
    assert len(aws.exported_items()) == 47


def test_duplicates_are_exported_once_and_counted(emulator: EmulatorServer, aws: Aws) -> None:
    rows = triples(10)
    outcome = index.handler(aws.upload("in/dups.csv", csv_text(rows + rows[:3])), LambdaContext())
    assert outcome["status"] == "succeeded"
    assert outcome["rows"]["duplicates"] == 3
    assert sorted(aws.exported_items()) == sorted(rows)


@pytest.mark.parametrize("key", ["incoming/wave 1/服务器 清单+v2.csv", "a+b c/d+e/f.csv"])
def test_keys_with_spaces_plus_non_ascii_and_folders_are_read(
    emulator: EmulatorServer, aws: Aws, key: str
) -> None:
    outcome = index.handler(aws.upload(key, csv_text(triples(3))), LambdaContext())
    assert outcome["status"] == "succeeded"
    assert outcome["input"] == f"s3://{INPUT_BUCKET}/{key}"


def test_a_direct_event_of_any_length_is_split(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "out"))
    rows = triples(450)
    event = {
        "task_info": [
            dict(zip(("task_id", "source_id", "source_name"), row, strict=True)) for row in rows
        ]
    }
    outcome = index.handler(event, FunctionGraphContext(request_id="req-42"))

    assert outcome["status"] == "succeeded"
    assert outcome["input"] == "inline"
    assert len(outcome["batches"]) >= 3
    files = sorted((tmp_path / "out").rglob("batch-*"))
    assert [f.relative_to(tmp_path / "out").parent.as_posix() for f in files] == [
        "consistency-results/inline/req-42"
    ] * len(outcome["batches"])
    assert sorted(item for f in files for item in parse_export(f.read_bytes())) == rows


def test_the_sample_events_run(emulator: EmulatorServer, aws: Aws) -> None:
    aws.upload(
        "incoming/wave 1/tasks.csv",
        (EVENTS / "tasks.csv").read_text(encoding="utf-8"),
    )
    outcome = index.handler(load_event("s3-upload.json"), LambdaContext())
    assert outcome["status"] == "partial"
    assert outcome["rejected"] == [{"row": 5, "reason": "source_id is empty"}]
    assert outcome["rows"]["exported"] == 3


def test_content_type_and_file_name_are_kept(emulator: EmulatorServer, aws: Aws) -> None:
    event = aws.upload("in/t.csv", csv_text(triples(2)))
    outcome = index.handler(event, LambdaContext())
    (batch,) = outcome["batches"]
    key = batch["export"].removeprefix(f"s3://{INPUT_BUCKET}/")
    head = aws.s3.head_object(Bucket=INPUT_BUCKET, Key=key)
    assert head["ContentType"] == "application/octet-stream"
    assert head["ContentDisposition"] == f'attachment; filename="{batch["filename"]}"'
    etag = event["Records"][0]["s3"]["object"]["eTag"]  # of the input: part of the key
    assert key == f"consistency-results/{INPUT_BUCKET}/in/t.csv/{etag}/{batch_file(triples(2))}"
    assert batch["bytes"] == head["ContentLength"]


def test_exports_can_go_to_another_bucket(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.s3.create_bucket(Bucket="sms-exports-bucket")
    monkeypatch.setenv("EXPORT_BUCKET", "sms-exports-bucket")
    monkeypatch.setenv("EXPORT_PREFIX", "results")
    event = aws.upload("in/t.csv", csv_text(triples(2)))
    etag = event["Records"][0]["s3"]["object"]["eTag"]
    index.handler(event, LambdaContext())
    folder = f"results/{INPUT_BUCKET}/in/t.csv/{etag}"
    assert sorted(aws.stored("results/", bucket="sms-exports-bucket")) == [
        f"{folder}/{batch_file(triples(2))}",
        f"{folder}/outcome.json",
        f"{folder}/report.html",
        f"{folder}/results.csv",
    ]


def test_our_own_exports_never_trigger_an_export(emulator: EmulatorServer, aws: Aws) -> None:
    event = aws.upload("consistency-results/x/batch-0001.csv", csv_text(triples(2)))
    outcome = index.handler(event, LambdaContext())
    assert outcome["status"] == "ignored"
    assert emulator.backend.calls == []
    assert aws.read_notifications() == []


def test_a_file_with_no_rows_is_an_error(emulator: EmulatorServer, aws: Aws) -> None:
    outcome = index.handler(aws.upload("in/empty.csv", csv_text([])), LambdaContext())
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "NoRows"
    assert "no rows" in outcome["error"]["message"]
    assert emulator.backend.calls == []


def test_a_missing_input_object_is_reported(emulator: EmulatorServer, aws: Aws) -> None:
    event = aws.upload("in/t.csv", csv_text(triples(1)))
    aws.s3.delete_object(Bucket=INPUT_BUCKET, Key="in/t.csv")
    outcome = index.handler(event, LambdaContext())
    assert outcome["error"]["code"] == "InputUnreadable"
    assert "NoSuchKey" in outcome["error"]["message"]


def test_an_unknown_event_fails_clearly() -> None:
    outcome = index.handler({"unexpected": True}, LambdaContext())
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "UnknownEvent"


def test_sms_language_is_sent(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    monkeypatch.setenv("SMS_LANGUAGE", "zh-cn")
    index.handler(load_event("direct.json"), LambdaContext())
    assert {call.headers["x-language"] for call in emulator.backend.calls} == {"zh-cn"}


def test_secrets_never_leak(
    emulator: EmulatorServer, aws: Aws, capfd: pytest.CaptureFixture[str]
) -> None:
    """The emulator echoes the access key in its refusal; nothing may carry a credential."""
    emulator.backend.credentials = {}  # every call now fails with "Get secretKey failed"
    emulator.backend.auth_failures.clear()
    outcome: dict[str, Any] = index.handler(
        aws.upload("in/t.csv", csv_text(triples(3))), LambdaContext()
    )
    captured = capfd.readouterr()
    published = json.dumps(aws.read_notifications())
    for text in (json.dumps(outcome), captured.out, captured.err, published):
        assert SECRET_KEY not in text
        assert ACCESS_KEY not in text
    assert outcome["batches"][0]["error_code"] == "APIGW.0301"


def test_obs_settings_work_end_to_end_with_the_agency_credentials(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FunctionGraph's classic OBS trigger; storage through an S3-compatible endpoint
    (moto's server standing in for OBS) with the client settings OBS needs."""
    monkeypatch.delenv("CLOUD_SDK_AK")
    monkeypatch.delenv("CLOUD_SDK_SK")
    emulator.backend.credentials = {"AGENCY-AK": "AGENCY-SK"}
    context = FunctionGraphContext(
        access_key="AGENCY-AK", secret_key="AGENCY-SK", security_token="AGENCY-TOKEN"
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        endpoint = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("STORAGE_ENDPOINT", endpoint)
        monkeypatch.setenv("STORAGE_REGION", "cn-north-4")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="cn-north-4")
        s3.create_bucket(
            Bucket="sms-input-obs",
            CreateBucketConfiguration={"LocationConstraint": "cn-north-4"},  # type: ignore[typeddict-item]
        )
        sample = (EVENTS / "tasks.csv").read_bytes()
        s3.put_object(Bucket="sms-input-obs", Key="incoming/wave 1/tasks.csv", Body=sample)
        outcome = index.handler(load_event("obs-upload.json"), context)
        stored = s3.list_objects_v2(Bucket="sms-input-obs", Prefix="consistency-results/")
    finally:
        server.stop()
    assert outcome["input"] == "obs://sms-input-obs/incoming/wave 1/tasks.csv"
    assert outcome["status"] == "partial"
    (batch,) = outcome["batches"]
    assert batch["export"].startswith("obs://sms-input-obs/consistency-results/")
    names = sorted(item["Key"].rsplit("/", 1)[1] for item in stored["Contents"])
    assert names[0].startswith("batch-000001-000003-")  # the three valid rows of tasks.csv
    assert names[1:] == ["outcome.json", "rejected.csv", "report.html", "results.csv"]


def test_obs_requests_are_virtual_hosted_sigv4_with_the_security_token() -> None:
    settings = Settings(
        storage_endpoint="https://obs.cn-north-4.myhuaweicloud.com", storage_region="cn-north-4"
    )
    agency = HuaweiCredentials(
        SecretStr("AGENCY-AK"), SecretStr("AGENCY-SK"), SecretStr("AGENCY-TOKEN")
    )
    client = make_s3_client(settings, agency)
    url = urlsplit(
        client.generate_presigned_url(
            "get_object", Params={"Bucket": "sms-input-obs", "Key": "in/a b+c.csv"}
        )
    )
    query = parse_qs(url.query)
    assert url.netloc == "sms-input-obs.obs.cn-north-4.myhuaweicloud.com"
    assert url.path == "/in/a%20b%2Bc.csv"
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Credential"][0].startswith("AGENCY-AK/")
    assert query["X-Amz-Security-Token"] == ["AGENCY-TOKEN"]
    config = vars(client.meta.config)  # botocore-stubs lag behind these two options
    assert config["request_checksum_calculation"] == "when_required"
    assert config["response_checksum_validation"] == "when_required"
