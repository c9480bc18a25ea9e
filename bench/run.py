"""`make bench`: where we stand, each figure measured side by side in the same run.

The machines are shared and noisy, so every figure is a ratio against a baseline run
right beside it. Nothing here is a test: it prints figures and never fails the suite.

    python bench/run.py                        # print the table
    python bench/run.py --only fleet throttled  # only these figures
    python bench/run.py --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "function"), str(ROOT / "tooling")]

from emulator import (
    DEMO_ACCESS_KEY,
    DEMO_SECRET_KEY,
    EXPORT_ACTION,
    LOOKUP_ACTION,
    EmulatorServer,
    SmsBackend,
)

BIN = Path(sys.executable).parent
ROW = {
    "task_id": "4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11",
    "source_id": "9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718",
    "source_name": "web-00",
}


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    met: bool
    detail: str


def credentials_env(endpoint: str, home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "SMS_ENDPOINT": endpoint,
        "CLOUD_SDK_AK": DEMO_ACCESS_KEY,
        "CLOUD_SDK_SK": DEMO_SECRET_KEY,
        "PYTHONPATH": str(ROOT / "function"),
    }


def write_rows(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["task_id", "source_id", "source_name"])
        for number in range(count):
            writer.writerow(
                [
                    f"4b1cf0a2-7e1d-4c52-9b3e-{number:012d}",
                    f"9f2b6c1e-3d4a-4e8f-a1b2-{number:012d}",
                    f"server-{number:06d}",
                ]
            )


def timed(command: list[str], environment: dict[str, str], stdin: str = "") -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=environment, input=stdin, text=True, check=True, capture_output=True
    )
    return time.perf_counter() - started


# -- 1. cold start ------------------------------------------------------------------------------
def cold_start(work: Path, runs: int = 11) -> Figure:
    with EmulatorServer(SmsBackend()) as server:
        environment = {**credentials_env(server.endpoint, work), "EXPORT_DIR": str(work / "cold")}
        ours = "import json, sys, index; index.handler(json.loads(sys.stdin.read()), None)"
        floor, measured = [], []
        for _ in range(runs):  # interleaved, so both see the same noise
            floor.append(timed([sys.executable, "-c", "import huaweicloudsdksms.v3"], environment))
            measured.append(
                timed([sys.executable, "-c", ours], environment, json.dumps({"task_info": [ROW]}))
            )
    ratio = statistics.median(measured) / statistics.median(floor)
    return Figure(
        "cold start: import index + first direct invocation of one row",
        ratio,
        "×",
        "≤ 1.3× the floor",
        ratio <= 1.3,
        f"median {statistics.median(measured) * 1000:.0f} ms against "
        f"{statistics.median(floor) * 1000:.0f} ms for `import huaweicloudsdksms.v3`, "
        f"{runs} new processes each",
    )


# -- 2. core throughput -------------------------------------------------------------------------
def core_throughput(work: Path, rows: int = 100_000) -> Figure:
    from sms_export.core.batching import plan, unique
    from sms_export.core.readers import read_rows
    from sms_export.core.validation import check_rows

    path = work / "core.csv"
    write_rows(path, rows)

    def ours() -> None:
        with path.open("rb") as stream:
            checked = check_rows(read_rows(stream, path.name))
        triples, _ = unique(checked.valid)
        plan(triples, 200, 10240)

    def baseline() -> None:
        with path.open(newline="", encoding="utf-8") as file:
            for _ in csv.reader(file):
                pass

    ours_s = best_of(ours)
    baseline_s = best_of(baseline)
    ratio = baseline_s / ours_s
    return Figure(
        "core: read, validate and batch 100,000 CSV rows",
        ratio,
        "× csv.reader",
        "≥ 0.4× plain csv.reader",
        ratio >= 0.4,
        f"{rows / ours_s:,.0f} rows/s against {rows / baseline_s:,.0f} rows/s",
    )


def best_of(action: Callable[[], None], runs: int = 3) -> float:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
    return min(durations)


# -- 3. memory ----------------------------------------------------------------------------------
MEMORY_PROBE = """
import json, sys
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
import boto3, index, huaweicloudsdksms.v3, pydantic, openpyxl
from sms_export import flow
from sms_export.adapters import s3
from sms_export.adapters import sms
after_imports = rss("VmRSS:")
outcome = index.handler(json.loads(sys.stdin.read()), None)
print(json.dumps({"after_imports": after_imports, "peak": rss("VmHWM:"),
                  "exported": outcome["rows"]["exported"]}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


def memory(work: Path, rows: int = 100_000) -> Figure:
    import boto3

    path = work / "memory.csv"
    write_rows(path, rows)
    with moto_server() as storage, EmulatorServer(SmsBackend()) as server:
        s3 = boto3.client(
            "s3",
            endpoint_url=storage,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        s3.create_bucket(Bucket="bench-input")
        s3.upload_file(str(path), "bench-input", "incoming/memory.csv")
        environment = {
            **credentials_env(server.endpoint, work),
            "AWS_ENDPOINT_URL_S3": storage,  # moto's server as S3, through boto3
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MAX_CONCURRENCY": "4",
            "CONSISTENCY_SUMMARY": "false",  # the exports' memory, not 100,000 lookups
        }
        event = {"object": "s3://bench-input/incoming/memory.csv"}
        result = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE],
            input=json.dumps(event),
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    growth = figures["peak"] - figures["after_imports"]
    return Figure(
        "memory: peak RSS over imports, 100,000 rows end to end",
        growth,
        "MB",
        "≤ 64 MB",
        growth <= 64,
        f"{figures['after_imports']:.0f} MB after imports, peak "
        f"{figures['peak']:.0f} MB; {figures['exported']:,} rows exported "
        "(emulator and moto S3 in other processes)",
    )


# -- 4 and 5. end to end ------------------------------------------------------------------------
def direct_event(rows: int, first: int = 0) -> dict[str, Any]:
    """`rows` rows numbered from `first`: instances of a fleet each get their own tasks."""
    return {
        "task_info": [
            {
                "task_id": f"{n:08d}-7a5c-4000-8000-000000000001",  # UUIDs, as SMS ids are
                "source_id": f"{n:08d}-5e2c-4000-8000-000000000002",
                "source_name": f"server-{n:05d}",
            }
            for n in range(first, first + rows)
        ]
    }


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_function(
    event: dict[str, Any], server: EmulatorServer, work: Path, **settings: str
) -> tuple[float, dict[str, Any]]:
    import contextlib
    import io

    import index

    with (
        environment(
            SMS_ENDPOINT=server.endpoint,
            CLOUD_SDK_AK=DEMO_ACCESS_KEY,
            CLOUD_SDK_SK=DEMO_SECRET_KEY,
            EXPORT_DIR=str(work / f"out-{time.time()}"),
            HOME=str(work),
            # The exports alone unless told: the verdict lookups (one per source) are
            # measured apart.
            **{"CONSISTENCY_SUMMARY": "false", **settings},
        ),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        started = time.perf_counter()
        outcome = index.handler(event, None)
        return time.perf_counter() - started, outcome


def one_call_at_a_time(event: dict[str, Any], server: EmulatorServer, work: Path) -> float:
    """The official sample's style: one SDK call after another, each file written."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdksms.v3 import (
        BatchConsistencyReq,
        BatchGetConsistencyResultReq,
        ExportConsistencyResultsRequest,
        SmsClient,
    )

    from sms_export.core.batching import plan
    from sms_export.core.models import Triple

    client = (
        SmsClient.new_builder()
        .with_credentials(BasicCredentials(DEMO_ACCESS_KEY, DEMO_SECRET_KEY))
        .with_endpoints([server.endpoint])
        .build()
    )
    batches = plan([Triple(**item) for item in event["task_info"]], 200, 10240)
    started = time.perf_counter()
    for number, batch in enumerate(batches):
        request = ExportConsistencyResultsRequest(
            body=BatchGetConsistencyResultReq(
                task_info=[
                    BatchConsistencyReq(
                        task_id=t.task_id, source_id=t.source_id, source_name=t.source_name
                    )
                    for t in batch.triples
                ]
            )
        )
        response = client.export_consistency_results(request)
        response.consume_download_stream(
            lambda raw, n=number: (work / f"seq-{n}.bin").write_bytes(raw.content)
        )
    return time.perf_counter() - started


def end_to_end(work: Path, rows: int = 10_000, latency: float = 0.2) -> list[Figure]:
    from sms_export.core.batching import plan
    from sms_export.core.models import Triple

    event = direct_event(rows)
    batches = len(plan([Triple(**item) for item in event["task_info"]], 200, 10240))
    ideal = math.ceil(batches / 4) * latency
    with EmulatorServer(SmsBackend(latency=latency)) as server:
        (run,) = run_fleet(server, work, 1, rows, timeout=300.0, MAX_CONCURRENCY="4")
        sequential = one_call_at_a_time(event, server, work)
    assert (run.exported, run.failed) == (rows, 0), run
    elapsed = run.finished - run.started
    return [
        Figure(
            "end to end: 10,000 rows (UUIDs), 200 ms per export call",
            elapsed / ideal,
            "× ideal",
            "≤ 1.1× ceil(batches / 4) × 200 ms",
            elapsed / ideal <= 1.1,
            f"{elapsed:.2f} s for {batches} batches; ideal {ideal:.2f} s (the function in its"
            " own process, as on the platforms: not sharing its interpreter with the emulator)",
        ),
        Figure(
            "end to end against one call at a time (the official sample's loop)",
            sequential / elapsed,
            "× faster",
            "(for reference)",
            True,
            f"{sequential:.2f} s one after another",
        ),
    ]


def throttled(work: Path, rows: int = 10_000, rate: float = 20.0) -> Figure:
    from sms_export.core.batching import plan
    from sms_export.core.models import Triple

    event = direct_event(rows)
    batches = len(plan([Triple(**item) for item in event["task_info"]], 200, 10240))
    minimum = batches / rate
    backend = SmsBackend(rate_limit=rate)
    with EmulatorServer(backend) as server:
        (run,) = run_fleet(server, work, 1, rows, timeout=300.0, MAX_ATTEMPTS="10")
    elapsed, failed = run.finished - run.started, run.failed
    throttles = sum(1 for call in backend.calls if call.answered == 429)
    return Figure(
        f"under throttling: {rate:.0f} calls/s allowed, 429 beyond",
        elapsed / minimum,
        "× minimum",
        "≤ 1.4× batches / rate, 0 failed batches",
        elapsed / minimum <= 1.4 and failed == 0 and run.exported == rows,
        f"{elapsed:.2f} s for {batches} batches (minimum {minimum:.2f} s); "
        f"{throttles} calls throttled; {failed} batches failed",
    )


# -- 6. the FunctionGraph package ---------------------------------------------------------------
def functiongraph_zip(work: Path) -> Figure:
    output = work / "functiongraph.zip"
    subprocess.run(
        [sys.executable, str(ROOT / "tooling" / "package.py"), "--output", str(output)],
        check=True,
        capture_output=True,
    )
    size = output.stat().st_size / 1024 / 1024
    with zipfile.ZipFile(output) as archive:
        unpacked = sum(info.file_size for info in archive.infolist()) / 1024 / 1024
    return Figure(
        "FunctionGraph zip (Python 3.12)",
        size,
        "MB",
        "≤ 5 MB",
        size <= 5,
        f"{unpacked:.0f} MB unpacked; no boto3, botocore or s3transfer, nor what"
        " tooling/package.py's LEFT_OUT names",
    )


# -- 7. a fleet of instances, one API quota -------------------------------------------------------
# One function instance: its own process, as on the platforms. It reads its event and imports
# everything, says "ready", and starts only on "go", so that every instance of the fleet
# starts exporting at once whatever each one's imports cost. Its outcome is the last line.
FLEET_INSTANCE = """
import contextlib, io, json, sys, time
event = json.loads(sys.stdin.readline())
import huaweicloudsdksms.v3, index
from localrun.contexts import LambdaContext
from sms_export.core.errors import RetryLater
print("ready", flush=True)
sys.stdin.readline()
started = time.monotonic()
with contextlib.redirect_stdout(io.StringIO()):  # the function's log lines
    try:
        context = LambdaContext(timeout_seconds=float(sys.argv[1]))
        outcome, retry = index.handler(event, context), False
    except RetryLater as signal:  # an asynchronous platform would deliver the event again
        outcome, retry = signal.answer, True
print(json.dumps({
    "started": started, "finished": time.monotonic(), "retry": retry,
    "exported": outcome["rows"]["exported"],
    "failed": sum(1 for batch in outcome["batches"] if batch["status"] != "exported"),
}))
"""


@dataclass(frozen=True)
class InstanceRun:
    """What one instance of a fleet reported. Times are `time.monotonic()`, one clock for
    every process on the machine."""

    started: float
    finished: float
    retry: bool  # it raised RetryLater: not every row was exported in this delivery
    exported: int
    failed: int  # batches


def run_fleet(
    server: EmulatorServer, work: Path, instances: int, rows: int, timeout: float, **settings: str
) -> list[InstanceRun]:
    """`instances` processes, each invoking `index.handler` on its own `rows` rows, with
    `settings` in its environment."""
    environment = {
        **credentials_env(server.endpoint, work),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "function"), str(ROOT / "tooling")]),
        # The exports alone: the verdict lookups are another API, with their own quota.
        "CONSISTENCY_SUMMARY": "false",
        **settings,
    }
    members: list[tuple[subprocess.Popen[str], IO[str], IO[str]]] = []
    for number in range(instances):
        with (work / f"fleet-{number}.stderr").open("w") as errors:
            process = subprocess.Popen(
                [sys.executable, "-c", FLEET_INSTANCE, str(timeout)],
                env={**environment, "EXPORT_DIR": str(work / f"fleet-{number}")},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        assert process.stdin is not None, "asked for a pipe"
        assert process.stdout is not None, "asked for a pipe"
        members.append((process, process.stdin, process.stdout))
    for number, (_, stdin, _) in enumerate(members):
        stdin.write(json.dumps(direct_event(rows, first=number * rows)) + "\n")
        stdin.flush()
    if any(stdout.readline() != "ready\n" for _, _, stdout in members):
        raise RuntimeError(f"a fleet instance failed to start; see {work}/fleet-*.stderr")
    for _, stdin, _ in members:
        stdin.write("go\n")
        stdin.close()
    runs = []
    for number, (process, _, stdout) in enumerate(members):
        output = stdout.read()
        if process.wait() != 0:
            stderr = (work / f"fleet-{number}.stderr").read_text()
            raise RuntimeError(f"fleet instance {number} failed:\n{stderr[-2000:]}")
        runs.append(InstanceRun(**json.loads(output.strip().splitlines()[-1])))
    return runs


def fleet(
    work: Path, instances: int, rows: int, rate: float, latency: float, timeout: float = 300.0
) -> list[Figure]:
    """K instances against one export quota: what the issue measured (#20). `timeout` is the
    deployed function's (template.yaml, main.tf), so that the deadline logic takes part."""
    backend = SmsBackend(latency=latency, quotas={EXPORT_ACTION: rate})
    with EmulatorServer(backend) as server:
        runs = run_fleet(server, work, instances, rows, timeout)
    tally = backend.tally(EXPORT_ACTION)
    start = min(run.started for run in runs)
    wall, first_done = (
        max(run.finished for run in runs) - start,
        min(run.finished for run in runs) - start,
    )
    minimum = tally.succeeded / rate
    exported = sum(run.exported for run in runs)
    retries = sum(run.retry for run in runs)
    per_call = tally.throttled / max(tally.succeeded, 1)
    name = (
        f"fleet: {instances} instances × {rows:,} rows, {rate:.0f} calls/s, {latency * 1000:.0f} ms"
    )
    return [
        Figure(
            f"{name}: rows exported in the first delivery",
            100 * exported / (instances * rows),
            "%",
            "100 % (every row)",
            exported == instances * rows,
            f"{exported:,} of {instances * rows:,} rows; {retries} of {instances} instances "
            f"asked for a retry; {sum(run.failed for run in runs)} batches failed",
        ),
        Figure(
            f"{name}: wall time",
            wall / minimum,
            "× minimum",
            "≤ 1.3× successful export calls ÷ quota",
            wall / minimum <= 1.3,
            f"{wall:.1f} s; minimum {minimum:.1f} s ({tally.succeeded} calls ÷ {rate:.0f}/s); "
            f"the first instance done after {first_done:.1f} s",
        ),
        Figure(
            f"{name}: throttled answers",
            per_call,
            "per successful call",
            "≤ 1",
            per_call <= 1,
            f"{tally.throttled:,} throttled, {tally.succeeded:,} answered, "
            f"{tally.failed} otherwise failed",
        ),
    ]


# -- 8. verdicts at the scale of a wave ----------------------------------------------------------
@contextmanager
def timed_calls(owner: Any, name: str) -> Iterator[list[float]]:
    """How long each call of `owner.name` took, for code that looks the name up when it calls."""
    original = getattr(owner, name)
    durations: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            durations.append(time.perf_counter() - started)

    setattr(owner, name, timed)
    try:
        yield durations
    finally:
        setattr(owner, name, original)


def verdicts(work: Path, sources: int = 1_000, rate: float = 10.0, latency: float = 0.2) -> Figure:
    """One instance looking up a wave's verdicts, one ShowConsistencyResult call per source,
    against that API's quota (#22). The lookups are timed apart, from the first to the last
    (around `lookups.verdicts`): the exports before them are another API, with its own quota
    and its own figures above."""
    from sms_export import lookups

    backend = SmsBackend(latency=latency, quotas={LOOKUP_ACTION: rate})
    with EmulatorServer(backend) as server, timed_calls(lookups, "verdicts") as looking_up:
        elapsed, outcome = run_function(
            direct_event(sources), server, work, MAX_CONCURRENCY="4", CONSISTENCY_SUMMARY="true"
        )
    tally = backend.tally(LOOKUP_ACTION)
    (spent,) = looking_up
    minimum = tally.succeeded / rate
    judged = outcome["consistency"]["checked"] - outcome["consistency"]["unknown"]
    return Figure(
        f"verdicts: {sources:,} sources, {rate:.0f} lookups/s allowed, {latency * 1000:.0f} ms",
        spent / minimum,
        "× minimum",
        "≤ 1.3× successful lookups ÷ quota, every source judged",
        spent / minimum <= 1.3 and judged == sources,
        f"lookups {spent:.1f} s; minimum {minimum:.1f} s ({tally.succeeded:,} calls ÷ "
        f"{rate:.0f}/s); {judged:,} of {sources:,} sources judged; {tally.throttled:,} "
        f"throttled; end to end {elapsed:.1f} s with the exports",
    )


# -- the table ----------------------------------------------------------------------------------
def table(figures: list[Figure]) -> str:
    lines = ["| benchmark | figure | target | met | detail |", "| --- | --- | --- | --- | --- |"]
    lines += [
        f"| {f.name} | {f.value:.2f} {f.unit} | {f.target} | "
        f"{'yes' if f.met else '**no**'} | {f.detail} |"
        for f in figures
    ]
    return "\n".join(lines)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


FIGURES: dict[str, Callable[[Path], list[Figure]]] = {
    "cold-start": lambda work: [cold_start(work)],
    "core": lambda work: [core_throughput(work)],
    "memory": lambda work: [memory(work)],
    "end-to-end": end_to_end,
    "zip": lambda work: [functiongraph_zip(work)],
    "throttled": lambda work: [throttled(work)],
    # The two fleets of issue #20.
    "fleet": lambda work: [
        *fleet(work, instances=16, rows=3_000, rate=20, latency=0.1),
        *fleet(work, instances=4, rows=2_000, rate=10, latency=0.2),
    ],
    "verdicts": lambda work: [verdicts(work)],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    parser.add_argument(
        "--only", nargs="+", choices=FIGURES, help="only these figures (default: all of them)"
    )
    arguments = parser.parse_args()
    if arguments.write and arguments.only:
        parser.error("--write records every figure: leave out --only")
    with tempfile.TemporaryDirectory(prefix="bench-") as work_dir:
        work = Path(work_dir)
        figures = [
            figure
            for name, measure in FIGURES.items()
            if not arguments.only or name in arguments.only
            for figure in measure(work)
        ]
    output = table(figures)
    print(output)
    if arguments.write:
        arguments.write.write_text(
            f"# Benchmark results\n\nMachine: {machine()}. Run: "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n{output}\n"
            f"{notes_below_the_table(arguments.write)}"
        )
    return 0


def notes_below_the_table(path: Path) -> str:
    """What was written by hand under the last run's table (what was fixed, what remains):
    a new run replaces the figures, not the account of them."""
    if not path.exists():
        return ""
    lines = path.read_text().splitlines(keepends=True)
    in_table = False
    for number, line in enumerate(lines):
        if line.startswith("|"):
            in_table = True
        elif in_table:
            return "".join(lines[number:])
    return ""


if __name__ == "__main__":
    sys.exit(main())
