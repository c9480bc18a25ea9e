"""The notification's first line: what newly differs leads, when something does."""

from __future__ import annotations

from sms_export.core.changes import compare
from sms_export.core.messages import verdict_line
from sms_export.core.models import ConsistencySummary, Outcome, SourceVerdict, Verdict
from sms_export.core.verdicts import summarise


def source(number: int, verdict: Verdict, different: int = 1) -> SourceVerdict:
    return SourceVerdict(
        task_id=f"task-{number}",
        source_id=f"source-{number}",
        source_name=f"web-{number:02}",
        verdict=verdict,
        different_files=different if verdict == "inconsistent" else 0,
    )


def after(
    previous: list[SourceVerdict],
    current: list[SourceVerdict],
    finished_at: str | None = "2026-12-04T10:00:00Z",
) -> ConsistencySummary:
    run = Outcome(
        status="succeeded",
        trigger="obs",
        input="obs://in/wave.csv",
        request_id="r",
        consistency=summarise(previous),
        finished_at=finished_at,
    )
    return compare(summarise(current), run, "obs://exports/outcome.json")


def test_what_newly_differs_leads_and_is_named_first() -> None:
    # web-01 and web-02 differed before, with more files; web-03 to web-05 newly differ.
    before = [source(1, "inconsistent"), source(2, "inconsistent")] + [
        source(n, "consistent") for n in range(3, 9)
    ]
    now = [source(1, "inconsistent", 50), source(2, "inconsistent", 40)]
    now += [source(n, "inconsistent") for n in (3, 4, 5)] + [
        source(n, "consistent") for n in (6, 7)
    ]
    now += [source(9, "inconsistent")]  # new: differs, but not "newly" (no earlier verdict)
    assert verdict_line(after(before, now)) == (
        "3 sources newly differ since 2026-12-04 10:00 UTC; 6 of 8 differ: "
        "web-03, web-04, web-05, web-01, web-02, web-09"
    )


def test_one_source_newly_differs_and_names_past_ten_are_counted() -> None:
    before = [source(n, "inconsistent") for n in range(1, 13)] + [source(13, "consistent")]
    now = [source(n, "inconsistent") for n in range(1, 14)]
    line = verdict_line(after(before, now))
    assert line == (
        "1 source newly differs since 2026-12-04 10:00 UTC; 13 of 13 differ: web-13, web-01, "
        "web-02, web-03, web-04, web-05, web-06, web-07, web-08, web-09 and 3 more"
    )


def test_a_previous_run_without_a_finish_time_is_named_as_such() -> None:
    line = verdict_line(after([source(1, "unknown")], [source(1, "inconsistent")], None))
    assert line == "1 source newly differs since the previous run; 1 of 1 differ: web-01"


def test_without_anything_newly_differing_the_line_is_as_before() -> None:
    same = [source(1, "inconsistent"), source(2, "consistent")]
    expected = "1 of 2 sources differ: web-01"
    assert verdict_line(after(same, same)) == expected
    assert verdict_line(summarise(same)) == expected  # no previous run
    fixed = after([source(1, "inconsistent")], [source(1, "consistent"), source(2, "unknown")])
    assert verdict_line(fixed) == "No source differs: 1 of 2 consistent, 1 unknown"


def test_nothing_checked_is_no_line() -> None:
    assert verdict_line(None) is None
    assert verdict_line(summarise([])) is None
