"""An outcome as JSON: complete, or bounded to a size with the worst entries first."""

from __future__ import annotations

import json

from sms_export.core.documents import LOG_LINE_LIMIT, bounded, complete
from sms_export.core.models import Problem
from sms_export.core.outcome import failed
from tests.unit.outcomes import SUBJECT, batch, huge, outcome


def test_a_large_outcome_is_bounded_with_failed_and_pending_batches_first() -> None:
    result = huge()
    document = bounded(result, LOG_LINE_LIMIT)
    assert len(json.dumps(document, ensure_ascii=False).encode()) <= LOG_LINE_LIMIT
    assert document["rows"] == complete(result)["rows"]  # every total
    assert [b["status"] for b in document["batches"][:2]] == ["failed", "pending"]
    assert document["rejected"][0] == {"row": 2, "reason": "source_id is empty"}
    left = document["truncated"]
    assert left["batches"] == 300 - len(document["batches"])
    assert left["rejected"] == 100_000 - len(document["rejected"])
    assert left["complete_record"] == result.stored_outcome
    assert len(complete(result)["batches"]) == 300  # outcome.json keeps everything


def test_a_small_outcome_is_left_whole_and_in_order() -> None:
    result = outcome([batch(1, 2), batch(3, 3, "failed"), batch(4, 4)], 4)
    assert bounded(result) == complete(result)
    assert "truncated" not in bounded(result)


def test_even_huge_strings_fit() -> None:
    result = failed(SUBJECT, Problem(code="MissingColumns", message="x" * 200_000))
    document = bounded(result, 16 * 1024)
    assert len(json.dumps(document).encode()) <= 16 * 1024
    assert document["error"]["message"].startswith("xxx")


def test_a_document_exactly_at_the_limit_is_not_cut() -> None:
    result = huge(batches=80, rejected=80)
    whole = complete(result)
    exact = len(json.dumps(whole, ensure_ascii=False).encode())
    assert bounded(result, exact) == whole
    listed = bounded(result, exact - 1)
    assert len(listed["batches"]) == 50
    assert bounded(result, len(json.dumps(listed, ensure_ascii=False).encode())) == listed


def test_strings_are_shortened_to_a_fixed_length_only_when_nothing_else_fits() -> None:
    from sms_export.core.documents import SHORTENED

    kept = "k" * SHORTENED
    result = outcome([batch(1, 1, "failed", error_msg="e" * 100_000)], 1, rejected=1)
    result.error = Problem(code=kept, message="m" * 100_000)
    document = bounded(result, 4096)
    assert document["error"]["code"] == kept
    assert document["error"]["message"] == "m" * (SHORTENED - 1) + "…"
    assert (document["batches"], document["rejected"]) == ([], [])
    assert document["truncated"] == {"batches": 1, "rejected": 1, "complete_record": None}


def test_a_bounded_document_lists_the_worst_sources_and_counts_the_rest() -> None:
    from sms_export.core.models import SourceVerdict
    from sms_export.core.verdicts import summarise

    verdicts = [
        SourceVerdict(
            task_id=f"t-{n}",
            source_id=f"s-{n}",
            source_name=f"server-{n:04d}-" + "x" * 200,
            verdict="inconsistent" if n % 3 == 0 else "consistent",
            different_files=n,
        )
        for n in range(600)
    ]
    result = outcome([batch(1, 600)], valid=600)
    result.consistency = summarise(verdicts)
    document = bounded(result, LOG_LINE_LIMIT)
    assert len(json.dumps(document).encode()) <= LOG_LINE_LIMIT
    listed = document["consistency"]["sources"]
    assert 0 < len(listed) < 600
    assert listed == complete(result)["consistency"]["sources"][: len(listed)]  # worst first
    assert listed[0]["different_files"] == 597
    assert document["truncated"]["sources"] == 600 - len(listed)
    counts = {k: document["consistency"][k] for k in ("checked", "consistent", "inconsistent")}
    assert counts == {"checked": 600, "consistent": 400, "inconsistent": 200}
    small = outcome([batch(1, 2)], valid=2)
    small.consistency = summarise(verdicts[:2])
    assert "truncated" not in bounded(small)
    assert len(bounded(small)["consistency"]["sources"]) == 2


def test_a_bounded_document_lists_the_most_differing_directories_and_counts_the_rest() -> None:
    from sms_export.core.models import DirectoryCheck, SourceVerdict
    from sms_export.core.verdicts import summarise

    verdicts = [
        SourceVerdict(
            task_id=f"t-{n}",
            source_id=f"s-{n}",
            source_name=f"server-{n}",
            verdict="inconsistent",
            different_files=n + 1,
            directories=[
                DirectoryCheck(path=f"/home/user-{n:04d}/" + "x" * 200, different_files=n + 1)
            ],
        )
        for n in range(300)
    ]
    result = outcome([batch(1, 300)], valid=300)
    result.consistency = summarise(verdicts)
    document = bounded(result, LOG_LINE_LIMIT)
    assert len(json.dumps(document).encode()) <= LOG_LINE_LIMIT
    listed = document["consistency"]["directories"]
    assert 0 < len(listed) < 300
    assert listed == complete(result)["consistency"]["directories"][: len(listed)]
    assert listed[0]["different_files"] == 300
    assert document["truncated"]["directories"] == 300 - len(listed)


def test_a_document_cut_for_its_rejected_rows_leaves_no_source_out() -> None:
    from sms_export.core.models import SourceVerdict
    from sms_export.core.verdicts import summarise

    result = outcome([batch(1, 2)], valid=2, rejected=3000)
    result.consistency = summarise(
        [SourceVerdict(task_id="t", source_id="s", source_name="a", verdict="consistent")]
    )
    document = bounded(result, 16 * 1024)
    assert document["truncated"]["rejected"] > 0
    assert document["truncated"]["sources"] == document["truncated"]["directories"] == 0
    assert len(document["consistency"]["sources"]) == 1
