"""`make run`: the function on the samples in events/, with no cloud and no credentials.

Starts the embedded emulator of the Huawei endpoints and an in-process moto (S3 + SNS),
uploads events/tasks.csv where events/s3-upload.json says it was uploaded, then runs
`index.handler` on a direct invocation and on that upload. The exports, outcomes and
reports go to out/run/ (git-ignored), which outlives the run: each outcome is printed once,
in a few lines, ending with its report's file:// URI, which opens. The function's own log
lines go to out/run/function.log.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

if TYPE_CHECKING:
    from emulator import SmsBackend

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
OUT = ROOT / "out" / "run"


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def summary_lines(title: str, outcome: dict[str, Any]) -> list[str]:
    """One outcome in a few lines: what happened, which sources differ, where the report is."""
    rows = outcome.get("rows") or {}
    lines = [
        f"{title}: {outcome['status']}, {rows.get('exported', 0)} of {rows.get('valid', 0)} "
        f"valid rows exported, {rows.get('rejected', 0)} rejected"
    ]
    if outcome.get("error"):
        lines.append(f"  {outcome['error']['code']}: {outcome['error']['message']}")
    consistency = outcome.get("consistency") or {}
    changes = consistency.get("changes")
    if changes:
        lines.append(
            f"  since {changes['since']}: {changes['newly_inconsistent']} newly inconsistent, "
            f"{changes['fixed']} fixed, {changes['new']} new, {changes['unchanged']} unchanged"
        )
    for source in consistency.get("sources", []):
        before = source.get("previous_verdict")
        was = f" (was {before})" if changes and before and before != source["verdict"] else ""
        lines.append(f"  {source['verdict']:>12}  {source['source_name']}{was}")
    if outcome.get("report"):
        # A file:// URI: terminals open it on a click, spaces in the key and all.
        lines.append(f"  report: {outcome['report']}")
    return lines


def script_a_change(backend: SmsBackend, task_id: str) -> bool:
    """Make `task_id`'s source differ in its newest consistency check (files missing in
    /data), so that the next run of the same input finds it newly inconsistent."""
    from emulator import Directory

    backend.sms.set_check(task_id, [Directory("/", 1200), Directory("/data", 300, missing=2)])
    return True


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
    # A fresh folder each time: what is printed is this run's, not a resumed earlier one.
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    function_log = OUT / "function.log"

    backend = SmsBackend(credentials={DEMO_ACCESS_KEY: DEMO_SECRET_KEY})
    with (
        EmulatorServer(backend) as emulator,
        mock_aws(),
        function_log.open("w", encoding="utf-8") as log,
    ):
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=bucket)
        # Each upload of the key is a revision of its own, as a second run needs.
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.upload_file(str(EVENTS / "tasks.csv"), bucket, key)
        topic = boto3.client("sns").create_topic(Name="sms-export-outcomes")["TopicArn"]
        os.environ.update(
            {
                "SMS_ENDPOINT": emulator.endpoint,
                "CES_ENDPOINT": emulator.endpoint,
                "CLOUD_SDK_AK": DEMO_ACCESS_KEY,
                "CLOUD_SDK_SK": DEMO_SECRET_KEY,
                "EXPORT_DIR": str(OUT),
                "NOTIFY_TOPIC": topic,
            }
        )
        print(f"SMS emulator on {emulator.endpoint}; s3://{bucket} in moto")
        print(f"Exports and reports in {OUT}; the function's log lines in {function_log.name}")

        import index

        def run(title: str, event: dict[str, Any]) -> dict[str, Any]:
            with contextlib.redirect_stdout(log):  # the function's JSON log lines
                answer: dict[str, Any] = index.handler(event, LambdaContext())
            print("\n".join(summary_lines(title, answer)), flush=True)
            return answer

        run("direct invocation (events/direct.json)", sample("direct.json"))
        first = run(f"upload of s3://{bucket}/{key} (events/s3-upload.json)", upload)
        sources = (first.get("consistency") or {}).get("sources", [])
        if sources and script_a_change(backend, sources[-1]["task_id"]):
            s3.upload_file(str(EVENTS / "tasks.csv"), bucket, key)  # another revision
            run("the same upload again, a verdict changed in between", upload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
