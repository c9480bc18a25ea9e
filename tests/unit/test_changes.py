"""What changed since the previous run: each definition, matching by task and source id,
and outcomes stored before these keys existed."""

from __future__ import annotations

import json

from sms_export.core.changes import compare, newly_inconsistent, previous_record
from sms_export.core.models import Changes, Outcome, SourceVerdict, Verdict
from sms_export.core.verdicts import summarise

URI = "s3://exports/consistency-results/in/wave.csv/v1/outcome.json"


def source(number: int, verdict: Verdict, name: str | None = None) -> SourceVerdict:
    return SourceVerdict(
        task_id=f"task-{number}",
        source_id=f"source-{number}",
        source_name=name or f"web-{number:02}",
        verdict=verdict,
        different_files=1 if verdict == "inconsistent" else 0,
    )


def run(*sources: SourceVerdict, finished_at: str | None = "2026-12-04T10:00:00Z") -> Outcome:
    return Outcome(
        status="succeeded",
        trigger="obs",
        input="obs://in/wave.csv",
        request_id="r",
        consistency=summarise(sources),
        finished_at=finished_at,
    )


def test_without_a_previous_run_nothing_changes() -> None:
    current = summarise([source(1, "inconsistent")])
    assert compare(current, None, None) == current
    assert compare(current, None, None).changes is None


def test_each_source_is_counted_by_how_its_verdict_moved() -> None:
    previous = run(
        source(1, "consistent"),  # → inconsistent: newly
        source(2, "unknown"),  # → inconsistent: newly
        source(3, "inconsistent"),  # → consistent: fixed
        source(4, "inconsistent"),  # → inconsistent: unchanged
        source(5, "consistent"),  # → consistent: unchanged
        source(6, "inconsistent"),  # → unknown: none of them
        source(7, "unknown"),  # → consistent: none of them
        source(99, "inconsistent"),  # gone: not counted
    )
    now = summarise(
        [
            source(1, "inconsistent"),
            source(2, "inconsistent"),
            source(3, "consistent"),
            source(4, "inconsistent"),
            source(5, "consistent"),
            source(6, "unknown"),
            source(7, "consistent"),
            source(8, "inconsistent"),  # new
            source(9, "consistent"),  # new
        ]
    )
    compared = compare(now, previous, URI)
    assert compared.changes == Changes(
        since="2026-12-04T10:00:00Z",
        previous_outcome=URI,
        newly_inconsistent=2,
        fixed=1,
        new=2,
        unchanged=2,
    )
    before = {s.source_name: s.previous_verdict for s in compared.sources}
    assert before == {
        "web-01": "consistent",
        "web-02": "unknown",
        "web-03": "inconsistent",
        "web-04": "inconsistent",
        "web-05": "consistent",
        "web-06": "inconsistent",
        "web-07": "unknown",
        "web-08": None,
        "web-09": None,
    }
    assert sorted(s.source_name for s in compared.sources if newly_inconsistent(s)) == [
        "web-01",
        "web-02",
    ]
    # The order, the totals and the rest of the summary are kept.
    assert [s.source_name for s in compared.sources] == [s.source_name for s in now.sources]
    assert compared.model_dump(exclude={"sources", "changes"}) == now.model_dump(
        exclude={"sources", "changes"}
    )


def test_sources_are_matched_by_task_and_source_id_not_by_name() -> None:
    previous = run(source(1, "consistent", name="old-name"))
    renamed = compare(summarise([source(1, "inconsistent", name="new-name")]), previous, URI)
    assert renamed.sources[0].previous_verdict == "consistent"
    moved = source(1, "inconsistent").model_copy(update={"task_id": "task-other"})
    assert compare(summarise([moved]), previous, URI).sources[0].previous_verdict is None


def test_a_previous_run_without_verdicts_makes_every_source_new() -> None:
    previous = run()
    previous.consistency = None
    compared = compare(summarise([source(1, "consistent"), source(2, "unknown")]), previous, URI)
    assert compared.changes == Changes(since="2026-12-04T10:00:00Z", previous_outcome=URI, new=2)


def test_an_outcome_stored_before_these_keys_still_reads_and_compares() -> None:
    old = {
        "status": "succeeded",
        "trigger": "obs",
        "input": "obs://in/wave.csv",
        "request_id": "r",
        "consistency": {
            "checked": 1,
            "consistent": 0,
            "inconsistent": 1,
            "unknown": 0,
            "sources": [
                {
                    "task_id": "task-1",
                    "source_id": "source-1",
                    "source_name": "web-01",
                    "verdict": "inconsistent",
                    "different_files": 2,
                    "checked_at": "2026-12-01T00:00:00Z",
                }
            ],
        },
    }
    previous = Outcome.model_validate_json(json.dumps(old))
    compared = compare(summarise([source(1, "consistent")]), previous, URI)
    assert compared.changes == Changes(since=None, previous_outcome=URI, fixed=1)


def test_the_previous_record_is_the_newest_of_another_revision_of_the_same_key() -> None:
    lineage, folder = "out/in-bucket/wave.csv/", "out/in-bucket/wave.csv/rev-3"
    stored = {
        "out/in-bucket/wave.csv/rev-1/outcome.json": 100.0,
        "out/in-bucket/wave.csv/rev-2/outcome.json": 200.0,
        "out/in-bucket/wave.csv/rev-2/batch-1-2.csv": 300.0,  # not a record
        "out/in-bucket/wave.csv/rev-3/outcome.json": 400.0,  # this run's own, from a retry
        "out/in-bucket/wave.csv/x/rev-9/outcome.json": 500.0,  # another object, deeper
        "out/in-bucket/wave.csv.old/rev-1/outcome.json": 600.0,  # another key
    }
    found = previous_record(stored, lineage, folder, "outcome.json")
    assert found == "out/in-bucket/wave.csv/rev-2/outcome.json"
    assert previous_record({}, lineage, folder, "outcome.json") is None
    only_own = {"out/in-bucket/wave.csv/rev-3/outcome.json": 1.0}
    assert previous_record(only_own, lineage, folder, "outcome.json") is None
