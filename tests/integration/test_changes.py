"""What changed since the previous run of the same input: across two revisions of one
uploaded object, and across two discoveries; and differing.csv, uploaded again as input."""

from __future__ import annotations

import json
from typing import Any

import pytest

import index
from emulator import Directory, EmulatorServer
from emulator.sms.models import differing_files
from localrun.contexts import LambdaContext
from tests.support import INPUT_BUCKET, Aws, csv_text, triples

pytestmark = pytest.mark.usefixtures("verdicts")

FIXED = [Directory("/", 1200), Directory("/data", 300)]
BROKEN = [Directory("/", 1200, different=3), Directory("/data", 300, missing=1)]


def by_name(outcome: dict[str, Any], field: str) -> dict[str, Any]:
    return {s["source_name"]: s[field] for s in outcome["consistency"]["sources"]}


def rows_and_scripts(emulator: EmulatorServer) -> tuple[list[tuple[str, str, str]], str, str]:
    """Six sources, one inconsistent (to be fixed) and one consistent (to break)."""
    rows = [row for row in triples(30) if not differing_files(row[0])][:6]
    to_fix, to_break = rows[0], rows[1]
    emulator.backend.sms.set_check(to_fix[0], BROKEN)
    return rows, to_fix[2], to_break[2]


def published_metrics(output: str) -> dict[str, Any]:
    (document,) = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    return dict(document)


def test_a_new_revision_of_the_same_key_is_compared_with_the_previous_one(
    exports_bucket: Aws, emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    exports_bucket.s3.put_bucket_versioning(
        Bucket=INPUT_BUCKET, VersioningConfiguration={"Status": "Enabled"}
    )
    rows, to_fix, to_break = rows_and_scripts(emulator)
    first = index.handler(exports_bucket.upload("in/wave.csv", csv_text(rows)), LambdaContext())
    assert first["consistency"]["changes"] is None
    assert set(by_name(first, "previous_verdict").values()) == {None}
    assert "SourcesNewlyInconsistent" not in published_metrics(capsys.readouterr().out)

    emulator.backend.sms.set_check(rows[0][0], FIXED)
    emulator.backend.sms.set_check(rows[1][0], BROKEN)
    second = index.handler(exports_bucket.upload("in/wave.csv", csv_text(rows)), LambdaContext())
    assert second["stored_outcome"] != first["stored_outcome"]  # another revision's folder
    assert second["consistency"]["changes"] == {
        "since": first["finished_at"],
        "previous_outcome": first["stored_outcome"],
        "newly_inconsistent": 1,
        "fixed": 1,
        "new": 0,
        "unchanged": 4,
    }
    previous = by_name(second, "previous_verdict")
    assert (previous[to_fix], previous[to_break]) == ("inconsistent", "consistent")
    assert published_metrics(capsys.readouterr().out)["SourcesNewlyInconsistent"] == 1


def test_a_discovery_is_compared_with_the_previous_discovery(
    exports_bucket: Aws, emulator: EmulatorServer
) -> None:
    rows, _, _ = rows_and_scripts(emulator)
    for task, source, name in rows[:4]:
        emulator.backend.add_source(source, name, task)
    first = index.handler({"discover": {}}, LambdaContext())
    assert first["consistency"]["changes"] is None

    emulator.backend.sms.set_check(rows[0][0], FIXED)
    for task, source, name in rows[4:]:
        emulator.backend.add_source(source, name, task)  # two servers more in the wave
    second = index.handler({"discover": {}}, LambdaContext())
    changes = second["consistency"]["changes"]
    assert changes["previous_outcome"] == first["stored_outcome"]
    assert (changes["fixed"], changes["new"], changes["unchanged"]) == (1, 2, 3)
    assert by_name(second, "previous_verdict")[rows[5][2]] is None


def test_differing_csv_lists_what_to_act_on_and_is_accepted_back_as_input(
    exports_bucket: Aws, emulator: EmulatorServer
) -> None:
    rows, to_fix, _ = rows_and_scripts(emulator)
    first = index.handler(exports_bucket.upload("in/wave.csv", csv_text(rows)), LambdaContext())
    key = first["differing"].removeprefix(f"s3://{INPUT_BUCKET}/")
    listed = exports_bucket.s3.get_object(Bucket=INPUT_BUCKET, Key=key)["Body"].read()
    header, *lines = listed.decode("utf-8-sig").splitlines()  # a BOM, for spreadsheets
    assert header == "task_id,source_id,source_name,verdict,reason"
    assert [line.split(",")[2:4] for line in lines] == [[to_fix, "inconsistent"]]

    again = index.handler(exports_bucket.upload("in/differing.csv", listed), LambdaContext())
    assert (again["status"], again["rows"]["exported"], again["rows"]["rejected"]) == (
        "succeeded",
        1,
        0,
    )
    assert by_name(again, "verdict") == {to_fix: "inconsistent"}


def test_no_differing_csv_when_every_source_is_consistent(
    exports_bucket: Aws, emulator: EmulatorServer
) -> None:
    rows = [row for row in triples(30) if not differing_files(row[0])][:3]
    outcome = index.handler(exports_bucket.upload("in/ok.csv", csv_text(rows)), LambdaContext())
    assert outcome["consistency"]["consistent"] == 3
    assert outcome["differing"] is None
