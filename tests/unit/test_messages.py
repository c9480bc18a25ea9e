"""What subscribers read: subject, first line, plain words, JSON within a topic's limit."""

from __future__ import annotations

import json

from sms_export.core.messages import structured, subject, summary_text, utf8_prefix, verdict_line
from sms_export.core.models import ConsistencySummary, Outcome, RowCounts, SourceVerdict


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
    line = verdict_line(outcome(12))
    assert line is not None
    assert line.startswith("12 of 15 sources differ: web-0, web-1,")
    assert "web-9" in line
    assert "web-10" not in line
    assert line.endswith("and 2 more")
    assert verdict_line(outcome(0)) == "No source differs: 3 of 3 consistent"


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
