"""ShowConsistencyResult's answer → a verdict per source, and the totals (pure).

The documentation disagrees on the answer's shape: `result_list` holds objects in one
version (`{finished_time, check_result, consistency_result: [...]}`), strings in another,
and an older page has `consistency_result` and `finished_time` at the top. The SDK turns
objects into Python `repr` strings, so the raw JSON is read instead, and items that are
objects or JSON text are accepted alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from sms_export.core import jsontext
from sms_export.core.models import ConsistencySummary, SourceVerdict, Triple

COUNTS = {
    "total_files": "num_total_files",
    "different_files": "num_different_files",
    "missing_files": "num_target_miss_files",
    "extra_files": "num_target_more_files",
}


def unknown(triple: Triple, reason: str) -> SourceVerdict:
    return SourceVerdict(**triple._asdict(), verdict="unknown", reason=reason)


def judge(triple: Triple, answer: Any) -> SourceVerdict:
    """The verdict of the newest check in the answer for the triple's task."""
    checks = _checks(answer)
    if not checks:
        return unknown(triple, "SMS has no consistency result for this task")
    newest = max(checks, key=lambda check: _finished(check) or 0)
    directories = newest.get("consistency_result")
    if not isinstance(directories, list) or not directories:
        return unknown(triple, "the newest check lists no directories")
    counts = dict.fromkeys(COUNTS, 0)
    for item in directories:
        directory = _object(item) or {}
        values = {name: directory.get(field) for name, field in COUNTS.items()}
        if not all(_count(value) is not None for value in values.values()):
            return unknown(triple, "the newest check has a directory without file counts")
        for name, value in values.items():
            counts[name] += _count(value) or 0
    differs = counts["different_files"] or counts["missing_files"] or counts["extra_files"]
    return SourceVerdict(
        **triple._asdict(),
        verdict="inconsistent" if differs else "consistent",
        checked_at=_checked_at(newest),
        **counts,
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


def _finished(check: Mapping[str, Any]) -> int | None:
    """finished_time, in milliseconds since 1970 (a number, or digits in a string)."""
    return _count(check.get("finished_time"))


def _checked_at(check: Mapping[str, Any]) -> str | None:
    finished = _finished(check)
    if finished is None:
        return None
    try:
        moment = datetime.fromtimestamp(finished / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


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
        sources=worst_first(verdicts),
    )
