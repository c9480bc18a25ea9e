"""The `sms-export` command, driven through its installed console script."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "inputs"
SMS_EXPORT = Path(sys.executable).parent / "sms-export"


def run(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [str(SMS_EXPORT), *arguments],
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
    }


def test_validate_needs_no_credentials(tmp_path: Path) -> None:
    environment_without_keys = {
        k: v for k, v in os.environ.items() if "SDK" not in k and not k.startswith("AWS_")
    }
    result = subprocess.run(
        [str(SMS_EXPORT), "validate", str(FIXTURES / "utf8.csv")],
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
