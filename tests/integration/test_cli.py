"""The `sms-export` command, driven through its installed console script (else, in an
environment where the project is not installed, `python -m sms_export_cli`)."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from emulator import DEMO_ACCESS_KEY, DEMO_SECRET_KEY, EmulatorServer, Fault
from sms_export.adapters.sms import SmsApi
from sms_export.core.models import HuaweiCredentials, Triple
from sms_export.settings import Settings
from tests.support import EVENTS, FIXTURES, csv_text, triples

INSTALLED = Path(sys.executable).parent / "sms-export"
ROOT = Path(__file__).resolve().parents[2]
SMS_EXPORT = [str(INSTALLED)] if INSTALLED.exists() else [sys.executable, "-m", "sms_export_cli"]


@pytest.fixture(autouse=True)
def importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the command is not installed, its packages are found from the checkout."""
    if not INSTALLED.exists():
        monkeypatch.setenv("PYTHONPATH", f"{ROOT / 'function'}:{ROOT / 'tooling'}")


def run(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [*SMS_EXPORT, *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=environment,
        timeout=120,
    )


def test_validate_passes_a_clean_file() -> None:
    result = run("validate", str(FIXTURES / "gbk.csv"))
    assert result.returncode == 0, result.stderr
    assert "3 valid, 0 rejected" in result.stdout


def test_validate_lists_rejected_rows_and_exits_1(tmp_path: Path) -> None:
    rejects = tmp_path / "rejected.csv"
    result = run(
        "validate",
        str(FIXTURES / "quoted.csv"),
        str(FIXTURES / "tasks.xlsx"),
        "--rejects",
        str(rejects),
    )
    assert result.returncode == 1
    assert "source_name contains a control character (U+000A) at position 4" in result.stdout
    assert "source_id is empty" in result.stdout
    table = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert [row[0] for row in table] == ["row", "3", "6"]


def test_validate_exits_2_for_an_unusable_file() -> None:
    result = run("validate", str(FIXTURES / "utf8.csv"), str(FIXTURES / "missing-column.csv"))
    assert result.returncode == 2
    assert "MissingColumns" in result.stdout


def test_validate_as_json_matches_the_functions_row_counts() -> None:
    result = run("validate", "--json", str(FIXTURES / "blank-and-comments.csv"))
    assert result.returncode == 0
    (report,) = json.loads(result.stdout)
    assert report["rows"] == {
        "received": 3,
        "valid": 3,
        "rejected": 0,
        "duplicates": 0,
        "blank": 3,
        "comments": 2,
        "headers": 0,
    }


def test_validate_needs_no_credentials(tmp_path: Path) -> None:
    environment_without_keys = {
        k: v for k, v in os.environ.items() if "SDK" not in k and not k.startswith("AWS_")
    }
    result = subprocess.run(
        [*SMS_EXPORT, "validate", str(FIXTURES / "utf8.csv")],
        capture_output=True,
        text=True,
        check=False,
        env=environment_without_keys,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_help_shows_an_example() -> None:
    result = run("validate", "--help")
    assert result.returncode == 0
    assert "sms-export validate wave-1.csv" in result.stdout


# -- export, invoke, emulator, discover ---------------------------------------------------------


def test_export_streams_plain_log_lines_prints_a_summary_and_resumes(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    clean = tmp_path / "wave-1.csv"
    clean.write_text(csv_text(triples(250)))
    result = run("export", str(clean), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "wave-1.csv: 250 rows read, 4 batches to export" in result.stderr  # 74 in 10 KiB
    assert "batch 1: exported" in result.stderr
    assert "succeeded" in result.stdout  # the summary table
    assert len(list(out.rglob("batch-*.csv"))) == 4
    calls = len(emulator.backend.calls)

    again = run("export", str(clean), "--out", str(out))
    assert again.returncode == 0
    assert "batch 1: resumed" in again.stderr
    assert len(emulator.backend.calls) == calls  # nothing exported twice


def test_export_exits_1_unless_everything_was_exported(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    result = run("export", str(EVENTS / "tasks.csv"), "--out", str(tmp_path))
    assert result.returncode == 1
    assert "partial" in result.stdout


def test_export_dry_run_needs_no_keys_and_calls_nothing(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLOUD_SDK")}
    result = subprocess.run(
        [*SMS_EXPORT, "export", str(FIXTURES / "tasks.xlsx"), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        env={**environment, "COLUMNS": "200"},
        timeout=120,
    )
    assert result.returncode == 1  # one row would be rejected
    assert "Dry run: nothing was exported." in result.stdout
    assert emulator.backend.calls == []


def test_invoke_runs_the_handler_with_a_functiongraph_context(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    environment_for_the_function = {"EXPORT_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            *SMS_EXPORT,
            "invoke",
            str(EVENTS / "direct.json"),
            "--platform",
            "functiongraph",
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, **environment_for_the_function},
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["trigger"], answer["status"]) == ("direct", "succeeded")
    assert '"sms-consistency-export outcome"' in result.stderr  # the function's log line


def test_invoke_exits_3_when_the_platform_would_retry(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    emulator.backend.inject(Fault.server_error(503), Fault.server_error(503))
    result = subprocess.run(
        [*SMS_EXPORT, "invoke", str(EVENTS / "direct.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "EXPORT_DIR": str(tmp_path), "MAX_ATTEMPTS": "2"},
    )
    assert result.returncode == 3
    assert json.loads(result.stdout)["retryable"] is True


def test_the_emulator_command_serves_signed_calls_until_stopped() -> None:
    process = subprocess.Popen(
        [*SMS_EXPORT, "emulator", "--latency", "10"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().split()[-1]
        exports = process.stdout.readline()
        assert f"SMS_ENDPOINT={endpoint}" in exports
        api = SmsApi(
            Settings(sms_endpoint=endpoint),
            HuaweiCredentials(SecretStr(DEMO_ACCESS_KEY), SecretStr(DEMO_SECRET_KEY)),
        )
        content = api.export(
            [Triple(task_id="t", source_id="s", source_name="n")],
            lambda download: b"".join(download.chunks),
        )
        assert b"t,s,n" in content
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_discover_lists_what_a_timer_would_export(emulator: EmulatorServer) -> None:
    emulator.backend.add_source("src-1", "web-01", "task-1", state="finished")
    emulator.backend.add_source("src-2", "db-01", "task-2", state="syncing")
    emulator.backend.add_source("src-3", "never", "task-3", has_results=False)
    result = run("discover", "--state", "finished")
    assert result.returncode == 0, result.stderr
    assert "web-01" in result.stdout
    assert "db-01" not in result.stdout
    assert "1 sources with consistency results" in result.stdout
    assert emulator.backend.listings[0]["state"] == "finished"
    assert emulator.backend.calls == []  # nothing exported


@pytest.mark.parametrize(
    "command", ["validate", "export", "invoke", "emulator", "discover", "report"]
)
def test_every_command_shows_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert f"sms-export {command}" in result.stdout


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux's script for a tty")
def test_export_shows_a_live_progress_bar_on_a_terminal(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    source = tmp_path / "wave-2.csv"
    source.write_text(csv_text(triples(300)))
    command = f"{shlex.join(SMS_EXPORT)} export {source} --out {tmp_path / 'out'}"
    result = subprocess.run(
        [str(shutil.which("script")), "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    assert result.returncode == 0, result.stdout
    assert "wave-2.csv: exporting" in result.stdout  # the bar's label, drawn on the tty
    assert "5/5" in result.stdout  # 74 rows fill a 10 KiB request
    assert '"sms-consistency-export outcome"' not in result.stdout  # hidden behind the bar


@pytest.mark.usefixtures("verdicts")
def test_export_ends_with_the_verdicts_and_report_renders_a_stored_outcome(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    from emulator.sms.models import differing_files

    rows = triples(8)
    source = tmp_path / "wave-3.csv"
    source.write_text(csv_text(rows))
    result = run("export", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    differing = [name for task, _, name in rows if differing_files(task)]
    assert f"{len(differing)} of 8 sources differ, 0 unknown" in result.stdout
    table = [
        [cell.strip() for cell in line.split("│")]
        for line in result.stdout.splitlines()
        if line.strip().startswith("server-")
    ]
    assert [(name, verdict) for name, verdict, *_ in table[: len(differing)]] == [
        (name, "inconsistent")
        for name in sorted(differing, key=lambda name: -differing_files(rows[int(name[-5:])][0]))
    ]  # the worst first
    assert {verdict for _, verdict, *_ in table[len(differing) :]} == {"consistent"}

    (stored,) = (tmp_path / "out").rglob("outcome.json")
    page = tmp_path / "page.html"
    rendered = run("report", str(stored), "--out", str(page))
    assert rendered.returncode == 0, rendered.stderr
    html = page.read_text(encoding="utf-8")
    assert all(f"<td>{name}</td>" in html for _, _, name in rows)
    assert html == (stored.parent / "report.html").read_text(encoding="utf-8")  # the same page

    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    refused = run("report", str(broken))
    assert refused.returncode == 2
    assert "is not a stored outcome" in refused.stderr


# -- what a newcomer meets first: validate says what it saw, --version, clean JSON -------------


def test_validate_fails_a_header_only_file_as_export_would(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    header_only = tmp_path / "wave-0.csv"
    header_only.write_text("task_id;source_id;source_name\n")
    checked = run("validate", str(header_only))
    assert checked.returncode == 2
    assert "wave-0.csv holds no rows to export. (NoRows)" in checked.stdout
    assert "read as CSV, UTF-8, semicolon-separated; header on row 1" in checked.stdout
    exported = run("export", str(header_only), "--out", str(tmp_path / "out"))
    assert "NoRows: wave-0.csv holds no rows to export." in exported.stdout


def test_validate_says_how_it_read_each_file() -> None:
    result = run("validate", "--json", str(FIXTURES / "gbk.csv"), str(FIXTURES / "headerless.csv"))
    gbk, headerless = json.loads(result.stdout)
    assert gbk["detected"] == {
        "format": "csv",
        "encoding": "gb18030",
        "separator": ",",
        "header_row": 1,
        "columns": {"task_id": 0, "source_id": 1, "source_name": 2},
    }
    assert headerless["detected"]["header_row"] is None
    shown = run("validate", str(FIXTURES / "gbk.csv")).stdout
    assert "GB18030 (GBK), comma-separated; header on row 1: task_id = '任务ID'" in shown


def test_a_title_above_the_header_gets_a_hint(tmp_path: Path) -> None:
    titled = tmp_path / "wave-4.csv"
    titled.write_text("Wave 4, March\n" + csv_text(triples(2)))
    result = run("validate", str(titled))
    assert result.returncode == 2
    assert "Row 1 looks like a title: the header seems to be on row 2" in result.stdout


def test_version_prints_the_packages_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{result.stdout.split()[-1]}"' in pyproject
    assert result.stdout.startswith("sms-export ")


def test_discover_as_json_prints_the_json_alone(emulator: EmulatorServer) -> None:
    emulator.backend.add_source("src-1", "web-01", "task-1", state="finished")
    result = run("discover", "--json")
    assert result.returncode == 0, result.stderr
    assert [row["source_name"] for row in json.loads(result.stdout)] == ["web-01"]


# -- --fail-on: one exit code per outcome --------------------------------------------------------


@pytest.mark.usefixtures("verdicts")
def test_fail_on_gives_the_code_of_what_the_export_found(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    from emulator.sms.models import differing_files

    rows = triples(8)
    assert any(differing_files(task) for task, _, _ in rows)  # else nothing to gate on
    source = tmp_path / "wave-5.csv"
    source.write_text(csv_text(rows))
    out = str(tmp_path / "out")
    assert run("export", str(source), "--out", out).returncode == 0
    assert run("export", str(source), "--out", out, "--fail-on", "unknown").returncode == 0
    gated = run("export", str(source), "--out", out, "--fail-on", "unknown,inconsistent")
    assert gated.returncode == 5, gated.stderr

    (stored,) = (tmp_path / "out").rglob("outcome.json")
    assert run("report", str(stored), "--fail-on", "inconsistent").returncode == 5
    assert run("report", str(stored), "--fail-on", "rejected").returncode == 0
    wrong = run("report", str(stored), "--fail-on", "differ")
    assert wrong.returncode == 2
    assert "not a --fail-on condition: differ" in wrong.stderr


def test_fail_on_rejected_sets_rejected_rows_apart(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    result = run(
        "export", str(FIXTURES / "tasks.xlsx"), "--out", str(tmp_path), "--fail-on", "rejected"
    )
    assert result.returncode == 7, result.stdout
    lines = result.stderr.splitlines()
    progress = [i for i, line in enumerate(lines) if line.startswith("tasks.xlsx: ")]
    logged = [i for i, line in enumerate(lines) if line.startswith("{")]
    assert progress
    assert logged
    assert max(progress) < min(logged)  # the function's log lines never split the progress
