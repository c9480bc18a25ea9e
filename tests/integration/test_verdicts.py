"""A verdict per source through the SDK and the emulator, the merged results file, the
report (rendered in headless Chromium) and the notification's first line."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import index
from emulator import Directory, EmulatorServer, Fault
from emulator.sms.models import check_of, differing_files
from localrun.contexts import FunctionGraphContext, LambdaContext
from sms_export.core.errors import RetryLater
from tests.support import Aws, csv_text, parse_export, triples

pytestmark = pytest.mark.usefixtures("verdicts")


def direct(rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    names = ("task_id", "source_id", "source_name")
    return {"task_info": [dict(zip(names, row, strict=True)) for row in rows]}


def expected_verdicts(rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """What the emulator's made-up checks say of each source name."""
    return {
        name: "inconsistent" if differing_files(task) else "consistent" for task, _, name in rows
    }


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


def stored(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


@pytest.mark.parametrize("shape", ["objects", "strings"])
def test_every_exported_source_gets_the_verdict_of_its_newest_check(
    emulator: EmulatorServer, out: Path, shape: str
) -> None:
    emulator.backend.result_shape = shape  # type: ignore[assignment]
    rows = triples(12)
    newer = check_of(rows[0][0], finished_time=1_770_000_000_000)
    newer["consistency_result"][1]["num_target_more_files"] = 4  # the newer check finds more
    emulator.backend.checks[rows[0][0]] = [newer, check_of(rows[0][0])]
    outcome = index.handler(direct(rows), LambdaContext())

    summary = outcome["consistency"]
    verdicts = {source["source_name"]: source["verdict"] for source in summary["sources"]}
    assert verdicts == {**expected_verdicts(rows), rows[0][2]: "inconsistent"}
    assert summary["checked"] == 12
    assert summary["inconsistent"] == list(verdicts.values()).count("inconsistent") > 1
    assert summary["consistent"] + summary["inconsistent"] == 12
    worst = summary["sources"][0]
    assert worst["verdict"] == "inconsistent"
    first = next(s for s in summary["sources"] if s["source_name"] == rows[0][2])
    assert (first["extra_files"], first["checked_at"]) == (4, "2026-02-02T02:40:00Z")
    assert sorted(emulator.backend.lookups) == sorted(row[0] for row in rows)  # one per task
    assert outcome["status"] == "succeeded"


def test_a_check_scripted_between_two_runs_changes_the_sources_verdict(
    emulator: EmulatorServer, out: Path
) -> None:
    """Inconsistent in the first run (files missing in one directory), fixed in the second."""
    rows = [row for row in triples(12) if not differing_files(row[0])][:2]
    broken = [Directory("/", 1020), Directory("/data", 300, missing=2)]
    emulator.backend.sms.set_check(rows[0][0], broken)
    first = index.handler(direct(rows), LambdaContext())
    emulator.backend.sms.set_check(rows[0][0], [Directory("/", 1020), Directory("/data", 300)])
    second = index.handler(direct(rows), LambdaContext())

    def verdicts(outcome: dict[str, Any]) -> dict[str, tuple[str, int]]:
        sources = outcome["consistency"]["sources"]
        return {s["source_name"]: (s["verdict"], s["missing_files"]) for s in sources}

    assert verdicts(first) == {rows[0][2]: ("inconsistent", 2), rows[1][2]: ("consistent", 0)}
    assert verdicts(second) == {rows[0][2]: ("consistent", 0), rows[1][2]: ("consistent", 0)}


def test_a_failing_lookup_leaves_its_source_unknown_and_the_export_whole(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "2")
    rows = triples(4)
    failing = [Fault.server_error(503)] * 2
    emulator.backend.inject_for(rows[1][0], *failing, action="show_consistency_result")
    emulator.backend.add_source(rows[2][1], rows[2][2], rows[2][0], has_results=False)
    with pytest.raises(RetryLater) as retry:  # the server errors may clear: look it up again
        index.handler(direct(rows), LambdaContext())
    outcome = retry.value.answer
    assert (outcome["status"], outcome["rows"]["exported"]) == ("succeeded", 4)
    assert outcome["consistency"]["to_look_up"] == 1  # not the source SMS has no result for
    reasons = {s["source_name"]: s["reason"] for s in outcome["consistency"]["sources"]}
    assert reasons[rows[1][2]] == "the lookup failed: SMS.2007 (Background exception)"
    assert reasons[rows[2][2]] == "SMS has no consistency result for this task"
    assert outcome["consistency"]["unknown"] == 2
    # Retried like an export: both faults were answered (an answered fault is no lookup).
    assert not emulator.backend.targeted[(rows[1][0], "show_consistency_result")]
    assert rows[1][0] not in emulator.backend.lookups


def test_sources_whose_export_failed_are_not_looked_up(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCH_SIZE", "2")
    rows = triples(4)
    emulator.backend.inject_for(rows[2][0], Fault.sms_error(404, "SMS.2252", "no such task"))
    outcome = index.handler(direct(rows), LambdaContext())
    assert outcome["status"] == "partial"
    assert sorted(emulator.backend.lookups) == sorted(row[0] for row in rows[:2])
    assert outcome["consistency"]["checked"] == 2


def test_with_the_summary_off_nothing_is_looked_up(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSISTENCY_SUMMARY", "false")
    outcome = index.handler(direct(triples(3)), LambdaContext())
    assert outcome["consistency"] is None
    assert emulator.backend.lookups == []


def test_lookups_are_not_started_past_the_deadline(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export starts with 1.5 s left and takes 0.6 s: less than the 1 s margin is left
    for the lookup, which is not started; the input asks for a retry, to look it up."""
    monkeypatch.setenv("DEADLINE_MARGIN_SECONDS", "1")
    emulator.backend.latency = 0.6
    with pytest.raises(RetryLater) as retry:
        index.handler(direct(triples(1)), LambdaContext(timeout_seconds=1.5))
    outcome = retry.value.answer
    assert outcome["rows"]["exported"] == 1
    (source,) = outcome["consistency"]["sources"]
    assert source["verdict"] == "unknown"
    assert source["reason"].startswith("not looked up: ")
    assert (source["to_look_up"], outcome["consistency"]["to_look_up"]) == (True, 1)
    assert emulator.backend.lookups == []


def test_the_retry_finishes_the_lookups_and_exports_nothing_again(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lookups the deadline left are done by the next delivery; those found stand."""
    monkeypatch.setenv("DEADLINE_MARGIN_SECONDS", "1")
    monkeypatch.setenv("MAX_CONCURRENCY", "1")
    rows = triples(6)
    event = direct(rows)
    emulator.backend.latency = 0.4  # the export and 3 lookups, of 6, before the margin
    with pytest.raises(RetryLater) as retry:
        # A retry of an asynchronous invocation keeps its request id, and so its folder.
        index.handler(event, LambdaContext(timeout_seconds=2.6, aws_request_id="wave-1"))
    first = retry.value.answer
    left = first["consistency"]["to_look_up"]
    assert 0 < left < len(rows)  # some looked up, some left
    looked_up = list(emulator.backend.lookups)
    exports = len(emulator.backend.calls)

    emulator.backend.latency = 0.0
    again = index.handler(event, LambdaContext(aws_request_id="wave-1"))
    assert len(emulator.backend.calls) == exports  # nothing exported again
    assert all(batch["resumed"] for batch in again["batches"])
    assert len(emulator.backend.lookups) == len(looked_up) + left  # only what was left
    summary = again["consistency"]
    assert (summary["to_look_up"], summary["unknown"], again["retryable"]) == (0, 0, False)
    verdicts = {source["source_name"]: source["verdict"] for source in summary["sources"]}
    assert verdicts == expected_verdicts(rows)


def test_the_exports_are_merged_into_one_results_file(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCH_SIZE", "3")
    rows = triples(8)
    outcome = index.handler(direct(rows), LambdaContext())
    assert len(outcome["batches"]) == 3
    merged = stored(outcome["results"]).read_bytes()
    table = list(csv.reader(io.StringIO(merged.decode())))
    assert table[0] == ["task_id", "source_id", "source_name", "consistency"]  # one header
    assert [tuple(line[:3]) for line in table[1:]] == rows
    assert parse_export(merged) == [
        item
        for batch in outcome["batches"]
        for item in parse_export(stored(batch["export"]).read_bytes())
    ]
    assert outcome["results_reason"] is None


def test_a_resume_merges_the_earlier_exports_too(exports_bucket: Aws) -> None:
    rows = triples(6)
    event = exports_bucket.upload("in/t.csv", csv_text(rows))
    first = index.handler(event, LambdaContext())
    again = index.handler(event, LambdaContext())
    assert all(batch["resumed"] for batch in again["batches"])
    key = again["results"].removeprefix("s3://sms-input-123456789012/")
    assert parse_export(exports_bucket.stored(key)[key]) == rows
    assert first["results"] == again["results"]


def test_no_results_file_when_nothing_was_exported(emulator: EmulatorServer, out: Path) -> None:
    emulator.backend.inject(Fault.sms_error(404, "SMS.2252", "no such task"))
    outcome = index.handler(direct(triples(1)), LambdaContext())
    assert (outcome["results"], outcome["results_reason"]) == (None, "nothing was exported")
    assert outcome["consistency"]["checked"] == 0


def test_the_verdict_settings_reach_the_verdicts(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IGNORE_DIRECTORIES and MAX_CHECK_AGE_HOURS, set as an operator sets them, decide the
    verdicts of a real run (the emulator's checks differ, if at all, in "/" and "/data")."""
    rows = triples(8)
    assert "inconsistent" in expected_verdicts(rows).values()
    monkeypatch.setenv("IGNORE_DIRECTORIES", "/, /d*")
    summary = index.handler(direct(rows), LambdaContext())["consistency"]
    assert {s["verdict"] for s in summary["sources"]} == {"consistent"}
    expected = [("/", True), ("/data", True), ("/var/log", False), ("/opt/cloud/sms-agent", False)]
    assert all(
        [(d["path"], d["ignored"]) for d in s["directories"]] == expected
        for s in summary["sources"]
    )
    assert summary["directories"]
    assert all(d["ignored"] and d["path"] in ("/", "/data") for d in summary["directories"])

    monkeypatch.setenv("MAX_CHECK_AGE_HOURS", "72")  # the emulator's checks are of 2025-12-01
    summary = index.handler(direct(triples(8, start=100)), LambdaContext())["consistency"]
    assert summary["unknown"] == 8
    assert all(
        s["reason"].endswith("ago (2025-12-01 00:00 UTC), older than MAX_CHECK_AGE_HOURS=72")
        for s in summary["sources"]
    )


# -- the notification's first line ---------------------------------------------------------------
def test_smn_subscribers_read_the_differing_sources_first(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = "0123456789abcdef0123456789abcdef"
    monkeypatch.setenv("NOTIFY_TOPIC", f"urn:smn:cn-north-4:{project}:outcomes")
    monkeypatch.setenv("SMN_ENDPOINT", emulator.endpoint)
    rows = triples(12)
    index.handler(direct(rows), FunctionGraphContext())
    (message,) = emulator.backend.smn_messages
    structure = json.loads(message["message_structure"])
    differing = [
        name for name, verdict in expected_verdicts(rows).items() if verdict != "consistent"
    ]
    first_line = structure["email"].splitlines()[0]
    assert first_line.startswith(f"{len(differing)} of 12 sources differ: ")
    assert set(first_line.split(": ", 1)[1].split(", ")) == set(differing)
    assert structure["sms"] == structure["email"]
    assert f"{len(differing)} sources differ" in message["subject"]
    assert json.loads(structure["http"])["consistency"]["inconsistent"] == len(differing)


def test_sns_queues_get_the_json_and_its_verdicts(exports_bucket: Aws) -> None:
    rows = triples(5)
    index.handler(exports_bucket.upload("in/t.csv", csv_text(rows)), LambdaContext())
    (notification,) = exports_bucket.read_notifications()
    body = json.loads(notification["Message"])
    assert body["consistency"]["checked"] == 5
    assert {s["source_name"]: s["verdict"] for s in body["consistency"]["sources"]} == (
        expected_verdicts(rows)
    )


# -- the report, as a person sees it -------------------------------------------------------------
class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self._hidden = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._hidden = tag in ("style", "title", "head")

    def handle_endtag(self, tag: str) -> None:
        self._hidden = False

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("REQUIRE_CHROMIUM"):
            pytest.fail("chromium is not installed and REQUIRE_CHROMIUM is set (CI)")
        pytest.skip("needs chromium (apt-get install chromium)")
    return found


def headless(page: Path, *flags: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={cwd / 'profile'}",
            *flags,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


HOSTILE = '<img src=x onerror="document.title=1">web"01'


def test_the_report_renders_in_chromium_as_a_person_reads_it(
    emulator: EmulatorServer, out: Path, tmp_path: Path
) -> None:
    rows = [
        *triples(5),
        ("00000099-7a5c-4000-8000-000000000001", "00000099-5e2c-4000-8000-000000000002", HOSTILE),
    ]
    outcome = index.handler(direct(rows), LambdaContext())
    page = stored(outcome["report"])
    dumped = headless(page, "--dump-dom", cwd=tmp_path)
    assert dumped.returncode == 0, dumped.stderr
    seen = VisibleText()
    seen.feed(dumped.stdout)  # the DOM after Chromium parsed it: what the page shows
    assert "img" not in seen.tags  # the name is text, never markup
    assert HOSTILE in seen.text
    assert "sources that differ" in seen.text
    differing = sum(v == "inconsistent" for v in expected_verdicts(rows).values())
    assert seen.text[seen.text.index("sources that differ") - 1] == str(differing)
    assert f"Sources that differ ({differing})" in seen.text  # the differing first
    assert outcome["status"] in seen.text

    phone = headless(page, "--screenshot=phone.png", "--window-size=390,844", cwd=tmp_path)
    assert phone.returncode == 0, phone.stderr
    png = (tmp_path / "phone.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 5000


def test_exports_of_other_columns_are_not_merged_and_the_files_stay(
    exports_bucket: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier run's file (found by its name and digest) with other columns: the S3
    upload of the merged file stops midway, and nothing is stored in its place."""
    from tests.support import batch_file

    monkeypatch.setenv("BATCH_SIZE", "2")
    rows = triples(4)
    event = exports_bucket.upload("in/t.csv", csv_text(rows))
    first = index.handler(event, LambdaContext())
    folder = first["stored_outcome"].removeprefix("s3://sms-input-123456789012/").rsplit("/", 1)[0]
    earlier = f"{folder}/{batch_file(rows[:2])}"
    exports_bucket.s3.put_object(
        Bucket="sms-input-123456789012", Key=earlier, Body=b"task,source,verdict\na,b,c\n"
    )
    exports_bucket.s3.delete_object(Bucket="sms-input-123456789012", Key=f"{folder}/results.csv")
    again = index.handler(event, LambdaContext())
    assert again["results"] is None
    assert again["results_reason"] == (
        f"{batch_file(rows[2:], 2)} has other columns than the first export"
    )
    assert f"{folder}/results.csv" not in exports_bucket.stored(folder)
    assert again["rows"]["exported"] == 4  # the batch files are all there
