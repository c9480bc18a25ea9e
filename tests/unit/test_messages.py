"""What subscribers read: subject, first line, plain words, JSON within a topic's limit."""

from __future__ import annotations

import json

from sms_export.core.changes import compare
from sms_export.core.messages import structured, subject, summary_text, utf8_prefix, verdict_line
from sms_export.core.models import ConsistencySummary, Outcome, RowCounts, SourceVerdict, Verdict
from sms_export.core.verdicts import summarise


def outcome(differing: int = 0, consistent: int = 3, name: str = "web") -> Outcome:
    sources = [
        SourceVerdict(
            task_id=f"t{n}", source_id=f"s{n}", source_name=f"{name}-{n}", verdict="inconsistent"
        )
        for n in range(differing)
    ]
    sources += [
        SourceVerdict(task_id="c", source_id=f"c{n}", source_name="ok", verdict="consistent")
        for n in range(consistent)
    ]
    summary = ConsistencySummary(
        checked=len(sources), consistent=consistent, inconsistent=differing, sources=sources
    )
    return Outcome(
        status="succeeded",
        trigger="s3",
        input="s3://in/wave.csv",
        request_id="r",
        rows=RowCounts(received=5, valid=5, exported=5),
        consistency=summary,
    )


def test_the_subject_is_one_line_within_the_limit() -> None:
    text = subject(outcome(2).model_copy(update={"input": "s3://in/" + "x\n" * 80}))
    assert "\n" not in text
    assert len(text) == 99
    assert text.endswith("…")
    assert subject(outcome(2)).startswith("SMS consistency export succeeded: 5 of 5 rows, 2 ")


def test_the_first_line_names_ten_differing_sources_and_counts_the_rest() -> None:
    line = verdict_line(outcome(12).consistency)
    assert line is not None
    assert line.startswith("12 of 15 sources differ: web-0, web-1,")
    assert "web-9" in line
    assert "web-10" not in line
    assert line.endswith("and 2 more")
    assert verdict_line(outcome(0).consistency) == "No source differs: 3 of 3 consistent"


def test_plain_words_carry_no_brackets_and_stay_short() -> None:
    text = summary_text(outcome(3, name="[db]【x】" * 40))
    assert not set("[]【】") & set(text)
    assert len(text) <= 480
    assert text.splitlines()[0].startswith("3 of 6 sources differ")


def test_a_message_structure_fits_its_limit_with_the_json_escaped_inside() -> None:
    big = outcome(2000, consistent=2000)
    document = structured(big, ("http", "https", "functiongraph"), ("email",), 64 * 1024)
    assert len(document.encode("utf-8")) <= 64 * 1024
    copies = json.loads(document)
    assert json.loads(copies["http"])["consistency"]["inconsistent"] == 2000
    assert copies["email"].startswith("2000 of 4000 sources differ")


def test_a_utf8_prefix_never_cuts_a_character() -> None:
    assert utf8_prefix("ééé", 5) == "éé"


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
