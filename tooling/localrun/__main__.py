"""`make run`: the function on the samples in events/, with no cloud and no credentials.

Starts the embedded emulator of the Huawei endpoints and an in-process moto (S3 + SNS),
uploads events/tasks.csv where events/s3-upload.json says it was uploaded, then runs
`index.handler` on a direct invocation and on that upload, printing each outcome.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)), flush=True)


def main() -> int:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[name] = "testing"  # moto only: nothing leaves this machine
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"

    import boto3
    from moto import mock_aws

    from emulator import DEMO_ACCESS_KEY, DEMO_SECRET_KEY, EmulatorServer, SmsBackend
    from localrun.contexts import LambdaContext

    upload = sample("s3-upload.json")
    bucket = upload["Records"][0]["s3"]["bucket"]["name"]
    key = unquote_plus(upload["Records"][0]["s3"]["object"]["key"])

    backend = SmsBackend(credentials={DEMO_ACCESS_KEY: DEMO_SECRET_KEY})
    with EmulatorServer(backend) as emulator, mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=bucket)
        s3.upload_file(str(EVENTS / "tasks.csv"), bucket, key)
        topic = boto3.client("sns").create_topic(Name="sms-export-outcomes")["TopicArn"]
        os.environ.update(
            {
                "SMS_ENDPOINT": emulator.endpoint,
                "CLOUD_SDK_AK": DEMO_ACCESS_KEY,
                "CLOUD_SDK_SK": DEMO_SECRET_KEY,
                "EXPORT_BUCKET": bucket,
                "NOTIFY_TOPIC": topic,
            }
        )
        print(f"SMS emulator on {emulator.endpoint}; moto S3 bucket {bucket}; topic {topic}")

        import index

        for title, event in (
            ("direct invocation (events/direct.json)", sample("direct.json")),
            (f"CSV upload s3://{bucket}/{key} (events/s3-upload.json)", upload),
        ):
            section(title)
            outcome = index.handler(event, LambdaContext())
            section("returned by the handler")
            print(json.dumps(outcome, indent=2, ensure_ascii=False), flush=True)
            section("which sources differ")
            for source in (outcome.get("consistency") or {}).get("sources", []):
                print(f"{source['verdict']:>12}  {source['source_name']}")

        section(
            f"stored in s3://{bucket}/{os.environ.get('EXPORT_PREFIX', 'consistency-results/')}"
        )
        for item in s3.list_objects_v2(Bucket=bucket, Prefix="consistency-results/").get(
            "Contents", []
        ):
            print(f"{item['Size']:>8}  {item['Key']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
