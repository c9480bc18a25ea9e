"""The verdict rules: the newest check wins, both documented shapes, no result, bad counts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sms_export.core.models import SourceVerdict, Triple, Verdict
from sms_export.core.verdicts import judge, summarise, unknown, worst_first

SOURCE = Triple(
    "4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11", "9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718", "web-01"
)


def directory(
    total: Any = 100, different: Any = 0, missing: Any = 0, extra: Any = 0
) -> dict[str, Any]:
    return {
        "dir_check": "/",
        "num_total_files": total,
        "num_different_files": different,
        "num_target_miss_files": missing,
        "num_target_more_files": extra,
    }


def check(finished: Any, *directories: dict[str, Any]) -> dict[str, Any]:
    return {
        "finished_time": finished,
        "check_result": "success",
        "consistency_result": list(directories),
    }


def answer(*checks: Any) -> dict[str, Any]:
    return {"task_id": SOURCE.task_id, "result_list": list(checks)}


def test_a_check_without_differences_is_consistent() -> None:
    verdict = judge(SOURCE, answer(check(1_764_547_200_000, directory(1200), directory(300))))
    assert verdict == SourceVerdict(
        task_id=SOURCE.task_id,
        source_id=SOURCE.source_id,
        source_name="web-01",
        verdict="consistent",
        total_files=1500,
        different_files=0,
        missing_files=0,
        extra_files=0,
        checked_at="2025-12-01T00:00:00Z",
    )


@pytest.mark.parametrize(
    ("found", "counts"),
    [
        (directory(different=2), (2, 0, 0)),
        (directory(missing=1), (0, 1, 0)),
        (directory(extra=7), (0, 0, 7)),
    ],
)
def test_any_different_missing_or_extra_file_makes_it_inconsistent(
    found: dict[str, Any], counts: tuple[int, int, int]
) -> None:
    verdict = judge(SOURCE, answer(check(1, directory(), found)))
    assert verdict.verdict == "inconsistent"
    assert (verdict.different_files, verdict.missing_files, verdict.extra_files) == counts


def test_the_newest_check_wins_whatever_the_order() -> None:
    old = check(1_700_000_000_000, directory(different=5))
    new = check(1_760_000_000_000, directory())
    for order in ((old, new), (new, old)):
        verdict = judge(SOURCE, answer(*order))
        assert (verdict.verdict, verdict.checked_at) == ("consistent", "2025-10-09T08:53:20Z")
    assert judge(SOURCE, answer(new, check(1_770_000_000_000, directory(missing=1)))).verdict == (
        "inconsistent"
    )


def test_checks_as_json_strings_read_like_objects() -> None:
    objects = answer(check(5, directory(different=1)), check(9, directory(extra=2)))
    strings = {
        "task_id": SOURCE.task_id,
        "result_list": [json.dumps(c) for c in objects["result_list"]],
    }
    assert judge(SOURCE, strings) == judge(SOURCE, objects)
    assert judge(SOURCE, strings).extra_files == 2


def test_the_older_flat_shape_is_one_check() -> None:
    flat = {"finished_time": "1764547200000", "consistency_result": [directory(40, missing="3")]}
    verdict = judge(SOURCE, flat)
    assert (verdict.verdict, verdict.missing_files, verdict.total_files) == ("inconsistent", 3, 40)
    assert verdict.checked_at == "2025-12-01T00:00:00Z"


@pytest.mark.parametrize(
    ("answered", "reason"),
    [
        (answer(), "SMS has no consistency result for this task"),
        ({"task_id": SOURCE.task_id}, "SMS has no consistency result for this task"),
        (None, "SMS has no consistency result for this task"),
        (answer("not json", 42, None), "SMS has no consistency result for this task"),
        (answer(check(1)), "the newest check lists no directories"),
        (
            answer(check(1, directory(different=None))),
            "the newest check has a directory without file counts",
        ),
        (
            answer(check(1, directory(total=-1))),
            "the newest check has a directory without file counts",
        ),
        (
            answer(check(1, directory(extra=True))),
            "the newest check has a directory without file counts",
        ),
        (
            answer(check(1, "not a directory")),  # type: ignore[arg-type]
            "the newest check has a directory without file counts",
        ),
    ],
)
def test_no_usable_result_is_unknown_with_the_reason(answered: Any, reason: str) -> None:
    verdict = judge(SOURCE, answered)
    assert (verdict.verdict, verdict.reason) == ("unknown", reason)
    assert verdict.source_name == "web-01"


def test_a_check_without_a_time_loses_to_one_with_it() -> None:
    undated = {"consistency_result": [directory(different=1)]}
    verdict = judge(SOURCE, answer(undated, check(1, directory())))
    assert verdict.verdict == "consistent"
    assert judge(SOURCE, answer(undated)).checked_at is None


def verdict(name: str, kind: Verdict, different: int = 0, missing: int = 0) -> SourceVerdict:
    return SourceVerdict(
        task_id="t",
        source_id="s",
        source_name=name,
        verdict=kind,
        different_files=different,
        missing_files=missing,
    )


def test_the_worst_sources_come_first_and_the_totals_add_up() -> None:
    sources = [
        verdict("fine", "consistent"),
        verdict("few", "inconsistent", different=1),
        unknown(SOURCE, "the lookup failed"),
        verdict("many", "inconsistent", different=2, missing=5),
    ]
    assert [s.source_name for s in worst_first(sources)] == ["many", "few", "web-01", "fine"]
    summary = summarise(sources)
    assert (summary.checked, summary.consistent, summary.inconsistent, summary.unknown) == (
        4,
        1,
        2,
        1,
    )
    assert [s.source_name for s in summary.differing] == ["many", "few"]


def counted(name: str, different: int = 0, missing: int = 0, extra: int = 0) -> SourceVerdict:
    return SourceVerdict(
        task_id="t",
        source_id="s",
        source_name=name,
        verdict="inconsistent",
        different_files=different,
        missing_files=missing,
        extra_files=extra,
    )


def test_the_worst_are_those_with_the_most_files_differing_of_any_kind() -> None:
    extra = counted("extra", extra=3)
    different = counted("different", different=1)
    assert [s.source_name for s in worst_first([different, extra])] == ["extra", "different"]
    # Ties keep the input's order, whichever kind the files are.
    ties = [counted("a", different=1), counted("b", missing=1), counted("c", extra=1)]
    assert [s.source_name for s in worst_first(ties)] == ["a", "b", "c"]
    assert [s.source_name for s in worst_first(ties[::-1])] == ["c", "b", "a"]


def test_result_list_is_read_even_beside_a_top_level_consistency_result() -> None:
    both = {**answer(check(2, directory(different=4))), "consistency_result": [directory()]}
    assert judge(SOURCE, both).different_files == 4
