"""What changed since the previous run of the same input (pure).

Sources are matched by (task_id, source_id): a source renamed between runs is the same
source. Of the sources in both runs, the counts say how many newly differ (inconsistent now,
consistent or unknown before), how many were fixed (inconsistent before, consistent now) and
how many kept their verdict; a source that moved to or from `unknown` otherwise is in none
of these three. A previous run that looked nothing up (CONSISTENCY_SUMMARY was off) makes
every source `new`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sms_export.core.models import Changes, ConsistencySummary, Outcome, SourceVerdict, Verdict


def compare(
    current: ConsistencySummary, previous: Outcome | None, previous_uri: str | None
) -> ConsistencySummary:
    """The summary with each source's `previous_verdict` and the `changes`; unchanged (and
    `changes` None) when there is no previous run."""
    if previous is None:
        return current
    before: dict[tuple[str, str], Verdict] = {}
    for source in previous.consistency.sources if previous.consistency else []:
        before.setdefault(_key(source), source.verdict)
    sources = [
        source.model_copy(update={"previous_verdict": before.get(_key(source))})
        for source in current.sources
    ]
    changes = Changes(since=previous.finished_at, previous_outcome=previous_uri)
    for source in sources:
        was, now = source.previous_verdict, source.verdict
        if was is None:
            changes.new += 1
        elif was == now:
            changes.unchanged += 1
        elif newly_inconsistent(source):
            changes.newly_inconsistent += 1
        elif was == "inconsistent" and now == "consistent":
            changes.fixed += 1
    return current.model_copy(update={"sources": sources, "changes": changes})


def newly_inconsistent(source: SourceVerdict) -> bool:
    """In both runs, inconsistent now and not before (once `compare` has set the previous
    verdicts)."""
    return source.verdict == "inconsistent" and source.previous_verdict not in (
        None,
        "inconsistent",
    )


def _key(source: SourceVerdict) -> tuple[str, str]:
    return (source.task_id, source.source_id)


def previous_record(
    stored: Mapping[str, float | None], lineage: str, folder: str, filename: str
) -> str | None:
    """The key of the previous run's record among `stored` (keys, and when each was
    stored): the newest `filename` in a sibling of `folder` under `lineage` (another
    revision of the same object, another discovery run); None if there is none."""
    own = folder.rstrip("/") + "/"
    candidates = [
        (modified or 0.0, key)
        for key, modified in stored.items()
        if key.startswith(lineage)
        and not key.startswith(own)
        and key[len(lineage) :].count("/") == 1
        and key.endswith("/" + filename)
    ]
    return max(candidates)[1] if candidates else None
