"""What `make run` prints of an outcome: once, in a few lines, ending with its report."""

from __future__ import annotations

from localrun.__main__ import summary_lines

REPORT = "file:///repo/out/run/consistency-results/inline/r/report.html"


def outcome(**fields: object) -> dict[str, object]:
    return {
        "status": "partial",
        "rows": {"valid": 3, "exported": 3, "rejected": 1},
        "report": REPORT,
        "consistency": {
            "sources": [
                {
                    "source_name": "web-01",
                    "verdict": "inconsistent",
                    "previous_verdict": "consistent",
                },
                {"source_name": "db-01", "verdict": "consistent", "previous_verdict": "consistent"},
            ],
            "changes": None,
        },
        **fields,
    }


def test_an_outcome_is_a_line_a_verdict_per_source_and_its_report() -> None:
    assert summary_lines("upload", outcome()) == [
        "upload: partial, 3 of 3 valid rows exported, 1 rejected",
        "  inconsistent  web-01",
        "    consistent  db-01",
        f"  report: {REPORT}",
    ]


def test_a_second_run_says_what_changed() -> None:
    changed = outcome()
    changed["consistency"]["changes"] = {  # type: ignore[index]
        "since": "2026-12-04T10:00:00Z",
        "newly_inconsistent": 1,
        "fixed": 0,
        "new": 0,
        "unchanged": 1,
    }
    lines = summary_lines("again", changed)
    assert lines[1] == (
        "  since 2026-12-04T10:00:00Z: 1 newly inconsistent, 0 fixed, 0 new, 1 unchanged"
    )
    assert lines[2] == "  inconsistent  web-01 (was consistent)"
    assert lines[3] == "    consistent  db-01"


def test_a_failed_input_says_why() -> None:
    failed = outcome(
        status="failed",
        error={"code": "NoRows", "message": "tasks.csv holds no rows to export."},
        report=None,
        consistency=None,
    )
    assert summary_lines("upload", failed)[1:] == ["  NoRows: tasks.csv holds no rows to export."]
