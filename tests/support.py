"""Builders and readers the tests share: rows, upload events, stored exports."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
FIXTURES = ROOT / "tests" / "fixtures" / "inputs"
INPUT_BUCKET = "sms-input-123456789012"
ACCESS_KEY = "HWTESTACCESSKEY0001"
SECRET_KEY = "hwTestSecretKey+9f1c2e7a4b/DoNotLeak"

Triple = tuple[str, str, str]


def task_id(i: int) -> str:
    """The i-th task's id: a UUID, as SMS ids are, that shows its number."""
    return f"{i:08d}-7a5c-4000-8000-000000000001"


def source_id(i: int) -> str:
    return f"{i:08d}-5e2c-4000-8000-000000000002"


def triples(count: int, start: int = 0) -> list[Triple]:
    return [(task_id(i), source_id(i), f"server-{i:05d}") for i in range(start, start + count)]


def csv_text(
    rows: list[Triple] | list[list[str]],
    header: tuple[str, ...] = ("task_id", "source_id", "source_name"),
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def upload_event(bucket: str, key: str, etag: str = "etag") -> dict[str, Any]:
    """The realistic S3 notification from events/, pointed at `key` (encoded like AWS)."""
    event = load_event("s3-upload.json")
    record = event["Records"][0]["s3"]
    record["bucket"]["name"] = bucket
    record["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["object"]["key"] = quote_plus(key)
    record["object"]["eTag"] = etag
    return event


def upload_suffixes() -> set[str]:
    """The object name endings a deployment must start the function for: every format the
    readers accept, and any of them gzipped."""
    from sms_export.core.readers import EXTENSIONS

    return {*EXTENSIONS, ".gz"}


def published_metrics() -> set[str]:
    """Every metric the function publishes, asked of the code: an outcome that exported
    rows, looked up verdicts and compared them with a previous run of the same input."""
    from sms_export.core.metric_values import measurements
    from sms_export.core.models import Changes, ConsistencySummary, Outcome

    outcome = Outcome(
        status="succeeded",
        trigger="storage",
        input="s3://bucket/key.csv",
        request_id="request",
        consistency=ConsistencySummary(changes=Changes()),
    )
    return {measurement.name for measurement in measurements(outcome)}


def batch_file(rows: list[Triple], start: int = 0) -> str:
    """The name of the stored export holding `rows`, which begin at position `start` among
    the input's distinct triples."""
    from sms_export.core.checkpoint import batch_key
    from sms_export.core.models import Triple as Valid

    return batch_key("", [Valid(*row) for row in rows], start, ".csv").lstrip("/")


def workbook_bytes(*sheet_rows: Sequence[object]) -> bytes:
    """An .xlsx file whose first sheet holds these rows, values typed as given."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for values in sheet_rows:
        sheet.append(list(values))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parse_export(content: bytes) -> list[Triple]:
    """The emulator's file lists the items it was asked for: read them back."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    return [(row[0], row[1], row[2]) for row in rows[1:]]


@dataclass
class Aws:
    s3: S3Client
    sns: SNSClient
    topic_arn: str
    read_notifications: Any  # () -> list of the SNS messages published so far

    def upload(self, key: str, body: str | bytes, bucket: str = INPUT_BUCKET) -> dict[str, Any]:
        data = body.encode("utf-8") if isinstance(body, str) else body
        response = self.s3.put_object(Bucket=bucket, Key=key, Body=data)
        return upload_event(bucket, key, response["ETag"].strip('"'))

    def stored(self, prefix: str = "", bucket: str = INPUT_BUCKET) -> dict[str, bytes]:
        paginator = self.s3.get_paginator("list_objects_v2")
        keys = [
            item["Key"]
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        return {key: self.s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}

    def exported_items(self, prefix: str = "consistency-results/") -> list[Triple]:
        """Items of every stored export (batch-* files, not the rejects report)."""
        stored = self.stored(prefix)
        return [
            item for key in sorted(stored) if "/batch-" in key for item in parse_export(stored[key])
        ]


def task_info(count: int, start: int = 0) -> dict[str, Any]:
    return {
        "task_info": [
            {"task_id": t, "source_id": s, "source_name": n} for t, s, n in triples(count, start)
        ]
    }


def sqs_event(*bodies: tuple[str, str]) -> dict[str, Any]:
    event = load_event("sqs-batch.json")
    template = event["Records"][0]
    event["Records"] = [
        {**template, "messageId": message_id, "body": body} for message_id, body in bodies
    ]
    return event


# -- SQS -----------------------------------------------------------------------------------------


def http_event(body: bytes, content_type: str = "application/json") -> dict[str, Any]:
    event = load_event("apig-csv.json")
    event["body"] = base64.b64encode(body).decode()
    event["headers"]["content-type"] = content_type
    return event
