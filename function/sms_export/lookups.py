"""Verdicts: each exported source's newest consistency check, one ShowConsistencyResult
call per task, made under the same runner (and sending rate) as the exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any

from sms_export.adapters.sms import SmsApi
from sms_export.core import verdicts as consistency
from sms_export.core.models import (
    BatchResult,
    ConsistencySummary,
    Outcome,
    SourceVerdict,
    Triple,
)
from sms_export.runner import BatchRunner, Tried
from sms_export.settings import Settings

Judge = Callable[[Triple, Any], SourceVerdict]


def stored_triples(results: list[BatchResult], triples: list[Triple]) -> list[Triple]:
    """The triples the stored exports hold, in input order."""
    held = sorted((r.first, r.last) for r in results if r.status == "exported")
    return list(dict.fromkeys(t for first, last in held for t in triples[first - 1 : last]))


def verdicts(
    runner: BatchRunner,
    api: SmsApi,
    exported: list[Triple],
    settings: Settings,
    earlier: Outcome | None = None,
) -> ConsistencySummary:
    """A lookup that fails leaves its sources `unknown`, never the export. When an earlier
    delivery of the input left lookups unfinished (its outcome.json, `earlier`), what it
    found stands: only what it left, and the sources it never exported, are looked up, so
    that a wave too big for one invocation's lookups is finished by the retries."""
    judge = partial(
        consistency.judge,
        ignore=settings.ignore_directories,
        max_age_hours=settings.max_check_age_hours,
        now=datetime.now(timezone.utc),
    )
    found = found_before(earlier)
    tasks = list(dict.fromkeys(t.task_id for t in exported if t not in found))
    answers = dict(zip(tasks, runner.call_each(tasks, api.consistency_result), strict=True))
    return consistency.summarise(
        [found.get(t) or verdict_of(t, answers[t.task_id], judge) for t in exported]
    )


def found_before(earlier: Outcome | None) -> dict[Triple, SourceVerdict]:
    """What an unfinished earlier delivery found. Once every lookup was done, a new
    delivery of the same input (the same content uploaded again, after a fix) looks every
    source up afresh: its verdicts may have changed since."""
    if earlier is None or earlier.consistency is None or not earlier.consistency.to_look_up:
        return {}
    return {
        Triple(source.task_id, source.source_id, source.source_name): source
        for source in earlier.consistency.sources
        if not source.to_look_up
    }


def verdict_of(
    triple: Triple, tried: Tried[Any], judge: Judge = consistency.judge
) -> SourceVerdict:
    if tried.error is None:
        return judge(triple, tried.value)
    error = tried.error
    if not tried.attempts:
        reason = f"not looked up: {error.message}"
    else:
        reason = f"the lookup failed: {error.code} ({error.message})"
    unknown = consistency.unknown(triple, reason)
    return unknown.model_copy(update={"to_look_up": error.retryable})
