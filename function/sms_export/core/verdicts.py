"""ShowConsistencyResult's answer → a verdict per source, and the totals (pure).

The documentation disagrees on the answer's shape: `result_list` holds objects in one
version (`{finished_time, check_result, consistency_result: [...]}`), strings in another,
and an older page has `consistency_result` and `finished_time` at the top. The SDK turns
objects into Python `repr` strings, so the raw JSON is read instead, and items that are
objects or JSON text are accepted alike.

Each directory of the newest check is kept (`dir_check` is its path). Directories matched
by an IGNORE_DIRECTORIES pattern are known noise: they stay listed, flagged `ignored`, but
none of their files count in the source's totals (`total_files` included, so that the
totals describe one and the same set of directories) nor in its verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from sms_export.core import jsontext, times
from sms_export.core.models import (
    ConsistencySummary,
    DirectoryCheck,
    DirectorySummary,
    SourceVerdict,
    Triple,
)

COUNTS = {
    "total_files": "num_total_files",
    "different_files": "num_different_files",
    "missing_files": "num_target_miss_files",
    "extra_files": "num_target_more_files",
}
DIFFERENCES = ("different_files", "missing_files", "extra_files")


def unknown(triple: Triple, reason: str) -> SourceVerdict:
    return SourceVerdict(**triple._asdict(), verdict="unknown", reason=reason)


def judge(
    triple: Triple,
    answer: Any,
    *,
    ignore: Sequence[str] = (),
    max_age_hours: float = 0,
    now: datetime | None = None,
) -> SourceVerdict:
    """The verdict of the newest check in the answer for the triple's task.

    `ignore`: shell-style patterns (IGNORE_DIRECTORIES) matched against each directory's
    path. `max_age_hours` (MAX_CHECK_AGE_HOURS; 0 is off): a newest check that finished
    longer before `now` leaves the source `unknown`, its directories and counts kept for
    information; `now` is required with it, as the core reads no clock.
    """
    if max_age_hours and now is None:
        raise ValueError("judging the age of checks needs the moment to judge it at")
    checks = _checks(answer)
    if not checks:
        return unknown(triple, "SMS has no consistency result for this task")
    newest = max(checks, key=lambda check: _finished(check) or 0)
    listed = newest.get("consistency_result")
    if not isinstance(listed, list) or not listed:
        return unknown(triple, "the newest check lists no directories")
    directories = [_directory(item, ignore) for item in listed]
    if any(directory is None for directory in directories):
        return unknown(triple, "the newest check has a directory without file counts")
    kept = [directory for directory in directories if directory is not None]
    counts = {name: sum(getattr(d, name) for d in kept if not d.ignored) for name in COUNTS}
    verdict = SourceVerdict(
        **triple._asdict(),
        verdict="inconsistent" if any(counts[name] for name in DIFFERENCES) else "consistent",
        checked_at=_checked_at(newest),
        check_result=_text(newest.get("check_result")),
        directories=kept,
        **counts,
    )
    stale = _staleness(newest, max_age_hours, now) if now is not None and max_age_hours else None
    if stale is not None:
        return verdict.model_copy(update={"verdict": "unknown", "reason": stale})
    return verdict


def _directory(item: Any, ignore: Sequence[str]) -> DirectoryCheck | None:
    """One directory with all four counts, or None. A directory SMS gives no path for is
    listed with an empty one (it still counts: its files were checked)."""
    directory = _object(item) or {}
    counts = {name: _count(directory.get(field)) for name, field in COUNTS.items()}
    if any(value is None for value in counts.values()):
        return None
    path = _text(directory.get("dir_check")) or ""
    return DirectoryCheck(
        path=path,
        ignored=any(fnmatchcase(path, pattern) for pattern in ignore),
        **counts,
    )


def _staleness(check: Mapping[str, Any], max_age_hours: float, now: datetime) -> str | None:
    """Why the check is too old to judge by, or None when it is recent enough."""
    limit = f"MAX_CHECK_AGE_HOURS={max_age_hours:g}"
    finished = _finished(check)
    moment = times.from_milliseconds(finished) if finished is not None else None
    if moment is None:
        return f"the newest check has no finish time, so its age cannot be held to {limit}"
    elapsed = now - moment
    if elapsed <= timedelta(hours=max_age_hours):
        return None
    return (
        f"the newest check finished {times.age(elapsed)} ago ({times.readable(moment)}), "
        f"older than {limit}"
    )


def _checks(answer: Any) -> list[Mapping[str, Any]]:
    if not isinstance(answer, Mapping):
        return []
    if "result_list" not in answer and "consistency_result" in answer:
        return [answer]  # the older, flat shape: the answer is the one check
    items = answer.get("result_list")
    if not isinstance(items, list):
        return []
    return [check for check in map(_object, items) if check is not None]


def _object(item: Any) -> Mapping[str, Any] | None:
    """An object, or a string holding one as JSON."""
    if isinstance(item, str):
        try:
            item = jsontext.loads(item)
        except ValueError:
            return None
    return item if isinstance(item, Mapping) else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _finished(check: Mapping[str, Any]) -> int | None:
    """finished_time, in milliseconds since 1970 (a number, or digits in a string)."""
    return _count(check.get("finished_time"))


def _checked_at(check: Mapping[str, Any]) -> str | None:
    finished = _finished(check)
    moment = times.from_milliseconds(finished) if finished is not None else None
    return times.iso_utc(moment) if moment is not None else None


SEVERITY = {"inconsistent": 0, "unknown": 1, "consistent": 2}


def worst_first(verdicts: Iterable[SourceVerdict]) -> list[SourceVerdict]:
    """Inconsistent sources first, the most files differing first; then unknown ones."""
    return sorted(
        verdicts,
        key=lambda v: (
            SEVERITY[v.verdict],
            -((v.different_files or 0) + (v.missing_files or 0) + (v.extra_files or 0)),
        ),
    )


def summarise(verdicts: Sequence[SourceVerdict]) -> ConsistencySummary:
    counted = {verdict: 0 for verdict in SEVERITY}
    for item in verdicts:
        counted[item.verdict] += 1
    return ConsistencySummary(
        checked=len(verdicts),
        consistent=counted["consistent"],
        inconsistent=counted["inconsistent"],
        unknown=counted["unknown"],
        to_look_up=sum(item.to_look_up for item in verdicts),
        sources=worst_first(verdicts),
        directories=fleet_directories(verdicts),
    )


def fleet_directories(verdicts: Iterable[SourceVerdict]) -> list[DirectorySummary]:
    """Each path that differs in at least one source, across the sources: in how many it
    differs and the files that differ there, the most differing sources first, then the
    most files. Ignored paths are listed too, flagged, so that the noise left out of the
    verdicts stays visible; paths clean everywhere are left out (a wave's clean paths are
    most of them and say nothing). Only decided verdicts count: an unknown source's
    directories (a stale check's) describe a state that may be long gone."""
    paths: dict[str, DirectorySummary] = {}
    for source in verdicts:
        if source.verdict == "unknown":
            continue
        for directory in source.directories:
            files = {name: getattr(directory, name) or 0 for name in DIFFERENCES}
            if not any(files.values()):
                continue
            found = paths.setdefault(
                directory.path, DirectorySummary(path=directory.path, ignored=directory.ignored)
            )
            found.differing_sources += 1
            for name, value in files.items():
                setattr(found, name, getattr(found, name) + value)
    return sorted(
        paths.values(),
        key=lambda d: (
            -d.differing_sources,
            -(d.different_files + d.missing_files + d.extra_files),
            d.path,
        ),
    )
