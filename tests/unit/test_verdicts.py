"""The verdict rules: the newest check wins, both documented shapes, no result, bad counts,
the directories kept, ignored directories, stale checks, and the fleet's directories."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from sms_export.core.models import (
    DirectoryCheck,
    DirectorySummary,
    SourceVerdict,
    Triple,
    Verdict,
)
from sms_export.core.verdicts import judge, summarise, unknown, worst_first

SOURCE = Triple(
    "4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11", "9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718", "web-01"
)


def directory(
    total: Any = 100, different: Any = 0, missing: Any = 0, extra: Any = 0, path: str = "/"
) -> dict[str, Any]:
    return {
        "dir_check": path,
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


def test_a_check_without_differences_is_consistent_and_keeps_its_directories() -> None:
    verdict = judge(
        SOURCE, answer(check(1_764_547_200_000, directory(1200), directory(300, path="/srv")))
    )
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
        check_result="success",
        directories=[
            DirectoryCheck(
                path="/", total_files=1200, different_files=0, missing_files=0, extra_files=0
            ),
            DirectoryCheck(
                path="/srv", total_files=300, different_files=0, missing_files=0, extra_files=0
            ),
        ],
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


# -- directories -------------------------------------------------------------------------------
def test_each_directory_keeps_its_path_and_its_own_four_counts() -> None:
    found = {
        "dir_check": "/opt/app",
        "num_total_files": "50",
        "num_different_files": 4,
        "num_target_miss_files": 3,
        "num_target_more_files": 2,
    }
    verdict = judge(SOURCE, answer(json.dumps(check(1, found))))
    assert verdict.directories == [
        DirectoryCheck(
            path="/opt/app", total_files=50, different_files=4, missing_files=3, extra_files=2
        )
    ]


@pytest.mark.parametrize(("given", "kept"), [("failed", "failed"), (None, None), (7, None)])
def test_check_result_is_kept_as_sms_gives_it_and_does_not_decide(
    given: Any, kept: str | None
) -> None:
    found = {**check(1, directory()), "check_result": given}
    verdict = judge(SOURCE, answer(found))
    assert (verdict.check_result, verdict.verdict) == (kept, "consistent")


def test_a_directory_without_a_path_is_listed_with_an_empty_one_and_still_counts() -> None:
    nameless = {key: value for key, value in directory(different=2).items() if key != "dir_check"}
    verdict = judge(SOURCE, answer(check(1, nameless)))
    assert ([d.path for d in verdict.directories], verdict.verdict) == ([""], "inconsistent")


# -- known noise -------------------------------------------------------------------------------
NOISY = check(
    1,
    directory(1000, path="/"),
    directory(40, different=3, extra=1, path="/var/log"),
    directory(20, missing=2, path="/opt/SMS-Agent"),
)


def test_a_source_whose_only_differences_are_ignored_is_consistent() -> None:
    verdict = judge(SOURCE, answer(NOISY), ignore=["/var/log", "/opt/SMS-Agent*"])
    assert verdict.verdict == "consistent"
    counts = (verdict.total_files, verdict.different_files, verdict.missing_files)
    assert (*counts, verdict.extra_files) == (1000, 0, 0, 0)
    assert [(d.path, d.ignored) for d in verdict.directories] == [
        ("/", False),
        ("/var/log", True),
        ("/opt/SMS-Agent", True),
    ]
    # The ignored directories keep their own counts, for the report.
    assert verdict.directories[1].different_files == 3


def test_only_the_ignored_directories_leave_the_totals() -> None:
    verdict = judge(SOURCE, answer(NOISY), ignore=["/var/*"])
    assert verdict.verdict == "inconsistent"
    assert (verdict.total_files, verdict.different_files, verdict.missing_files) == (1020, 0, 2)
    assert [d.path for d in verdict.directories if d.ignored] == ["/var/log"]


@pytest.mark.parametrize("pattern", ["/VAR/LOG", "/var", "var/log", "/var/log/", ""])
def test_patterns_match_the_whole_path_case_sensitively(pattern: str) -> None:
    verdict = judge(SOURCE, answer(NOISY), ignore=[pattern])
    assert not any(d.ignored for d in verdict.directories)
    assert verdict.different_files == 3


def test_without_patterns_nothing_is_ignored() -> None:
    assert judge(SOURCE, answer(NOISY)) == judge(SOURCE, answer(NOISY), ignore=[])
    assert judge(SOURCE, answer(NOISY)).verdict == "inconsistent"


# -- stale checks ------------------------------------------------------------------------------
FINISHED = datetime(2026, 11, 5, 10, 0, tzinfo=timezone.utc)
DIFFERING = check(int(FINISHED.timestamp() * 1000), directory(100, different=2, path="/srv"))


def test_a_check_older_than_the_limit_is_unknown_and_says_how_old() -> None:
    now = FINISHED + timedelta(days=30, hours=5)
    verdict = judge(SOURCE, answer(DIFFERING), max_age_hours=72, now=now)
    assert verdict.verdict == "unknown"
    assert verdict.reason == (
        "the newest check finished 30 days ago (2026-11-05 10:00 UTC), "
        "older than MAX_CHECK_AGE_HOURS=72"
    )
    # What it found is kept, for information.
    assert (verdict.different_files, verdict.checked_at) == (2, "2026-11-05T10:00:00Z")
    assert [d.path for d in verdict.directories] == ["/srv"]


@pytest.mark.parametrize(
    ("elapsed", "limit", "verdict"),
    [
        (timedelta(hours=72), 72, "inconsistent"),  # exactly the limit is still recent
        (timedelta(hours=72, seconds=1), 72, "unknown"),
        (timedelta(days=365), 0, "inconsistent"),  # 0: off
        (timedelta(minutes=45), 0.5, "unknown"),
    ],
)
def test_the_limit_is_in_hours_and_zero_turns_it_off(
    elapsed: timedelta, limit: float, verdict: Verdict
) -> None:
    judged = judge(SOURCE, answer(DIFFERING), max_age_hours=limit, now=FINISHED + elapsed)
    assert judged.verdict == verdict


def test_a_fractional_limit_reads_as_given() -> None:
    judged = judge(
        SOURCE, answer(DIFFERING), max_age_hours=0.5, now=FINISHED + timedelta(minutes=45)
    )
    assert judged.reason == (
        "the newest check finished 45 minutes ago (2026-11-05 10:00 UTC), "
        "older than MAX_CHECK_AGE_HOURS=0.5"
    )


def test_a_check_without_a_finish_time_cannot_be_held_to_a_limit() -> None:
    undated = {"consistency_result": [directory()]}
    judged = judge(SOURCE, answer(undated), max_age_hours=24, now=FINISHED)
    assert (judged.verdict, judged.reason) == (
        "unknown",
        "the newest check has no finish time, so its age cannot be held to MAX_CHECK_AGE_HOURS=24",
    )
    assert judge(SOURCE, answer(undated), now=FINISHED).verdict == "consistent"


def test_a_limit_without_the_moment_to_judge_at_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="moment"):
        judge(SOURCE, answer(DIFFERING), max_age_hours=1)


# -- the fleet's directories -------------------------------------------------------------------
def judged(name: str, *directories: dict[str, Any], ignore: tuple[str, ...] = ()) -> SourceVerdict:
    return judge(SOURCE._replace(source_name=name), answer(check(1, *directories)), ignore=ignore)


def test_the_fleet_lists_each_differing_path_the_most_differing_sources_first() -> None:
    noise = ("/var/log",)
    sources = [
        judged("a", directory(path="/"), directory(different=9, path="/data"), ignore=noise),
        judged(
            "b",
            directory(missing=1, path="/etc"),
            directory(extra=2, path="/var/log"),
            ignore=noise,
        ),
        judged("c", directory(different=1, path="/etc"), directory(path="/data"), ignore=noise),
        judged("d", directory(extra=1, path="/var/log"), ignore=noise),
        judged("e", directory(extra=1, path="/etc"), ignore=noise),
        judged("f", directory(different=4, path="/home"), ignore=noise),
    ]
    summary = summarise(sources)
    assert summary.directories == [
        DirectorySummary(
            path="/etc", differing_sources=3, different_files=1, missing_files=1, extra_files=1
        ),
        DirectorySummary(path="/var/log", differing_sources=2, extra_files=3, ignored=True),
        # One source each: the most files first.
        DirectorySummary(path="/data", differing_sources=1, different_files=9),
        DirectorySummary(path="/home", differing_sources=1, different_files=4),
    ]
    # "/" differs nowhere: not listed. "d" differs only in ignored noise: consistent.
    assert next(s for s in summary.sources if s.source_name == "d").verdict == "consistent"


def test_ties_are_listed_by_path_and_unknown_sources_do_not_count() -> None:
    stale = judge(
        SOURCE._replace(source_name="stale"),
        answer(DIFFERING),
        max_age_hours=1,
        now=FINISHED + timedelta(days=2),
    )
    sources = [
        judged("b", directory(different=1, path="/b")),
        judged("a", directory(different=1, path="/a")),
        stale,
    ]
    assert [d.path for d in summarise(sources).directories] == ["/a", "/b"]
    assert summarise([stale]).directories == []
