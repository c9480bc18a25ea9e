"""A migration wave of 450 sources as an outcome: the report's test in Chromium and
`make screenshot` draw the same page, so the README's picture is what the test checked.

Hyphenated names of several lengths, UUIDs, several differing directories per source (one
of them ignored), unknown sources, rejected rows and changes since a previous run.
"""

from __future__ import annotations

import uuid

from sms_export.core.models import (
    BatchResult,
    Changes,
    ConsistencySummary,
    DirectoryCheck,
    DirectorySummary,
    Outcome,
    Rejection,
    RowCounts,
    SourceVerdict,
    Verdict,
)
from sms_export.core.verdicts import worst_first

FOLDER = "obs://migration-bucket/consistency-results/wave-07.csv"
ROLES = ("web-frontend", "payments-gateway-eu-central", "db-replica", "cache", "batch-worker")
PATHS = ("/var/lib/app-data", "/etc", "/opt/cloud-agent/logs", "/home/deploy/releases", "/srv/www")
IGNORED = "/opt/cloud-agent/logs"
REASONS = (
    "SMS has no consistency result for this task",
    "the newest check finished 200 hours ago, more than MAX_CHECK_AGE_HOURS (72)",
)


def _id(kind: str, index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{index}"))


def _directories(index: int, differing: bool) -> list[DirectoryCheck]:
    """Clean directories for a consistent source; for a differing one, some of its own
    directories differ, and the agent's logs (ignored) always do."""
    found = []
    for number, path in enumerate(PATHS):
        differs = path == IGNORED or (differing and (index + number) % 3 == 0)
        found.append(
            DirectoryCheck(
                path=path,
                total_files=1000 + 37 * number,
                different_files=(index + number) % 5 + 1 if differs else 0,
                missing_files=number if differs else 0,
                extra_files=1 if differs and number % 2 else 0,
                ignored=path == IGNORED,
            )
        )
    return found


def _source(index: int, verdict: Verdict) -> SourceVerdict:
    role = ROLES[index % len(ROLES)]
    directories = _directories(index, verdict == "inconsistent")
    counted = [d for d in directories if not d.ignored] if verdict != "unknown" else []
    previous: Verdict | None = verdict
    if verdict == "inconsistent" and index % 32 == 0:
        previous = "consistent"  # newly inconsistent
    elif verdict == "consistent" and index % 90 == 5:
        previous = "inconsistent"  # fixed
    return SourceVerdict(
        task_id=_id("task", index),
        source_id=_id("source", index),
        source_name=f"{role}-{index:04d}",
        verdict=verdict,
        total_files=sum(d.total_files or 0 for d in counted) if counted else None,
        different_files=sum(d.different_files or 0 for d in counted) if counted else None,
        missing_files=sum(d.missing_files or 0 for d in counted) if counted else None,
        extra_files=sum(d.extra_files or 0 for d in counted) if counted else None,
        checked_at=None if verdict == "unknown" else "2026-12-04T09:41:07Z",
        check_result=None if verdict == "unknown" else "finished",
        reason=REASONS[index % len(REASONS)] if verdict == "unknown" else None,
        previous_verdict=None if index >= 440 else previous,
        directories=directories if verdict != "unknown" else [],
    )


def _summary(sources: list[SourceVerdict]) -> ConsistencySummary:
    totals: dict[str, DirectorySummary] = {}
    for source in sources:
        for d in source.directories:
            total = totals.setdefault(d.path, DirectorySummary(path=d.path, ignored=d.ignored))
            counts = (d.different_files or 0, d.missing_files or 0, d.extra_files or 0)
            total.differing_sources += 1 if any(counts) else 0
            total.different_files += counts[0]
            total.missing_files += counts[1]
            total.extra_files += counts[2]
    verdicts = [s.verdict for s in sources]
    previous = [s for s in sources if s.previous_verdict is not None]
    return ConsistencySummary(
        checked=len(sources),
        consistent=verdicts.count("consistent"),
        inconsistent=verdicts.count("inconsistent"),
        unknown=verdicts.count("unknown"),
        sources=worst_first(sources),
        directories=sorted(totals.values(), key=lambda d: -d.differing_sources),
        changes=Changes(
            since="2026-12-03T09:58:40Z",
            previous_outcome=f"{FOLDER}/2026-12-03T09-50-00Z-req-0006/outcome.json",
            newly_inconsistent=sum(
                s.previous_verdict == "consistent" and s.verdict == "inconsistent" for s in previous
            ),
            fixed=sum(
                s.previous_verdict == "inconsistent" and s.verdict == "consistent" for s in previous
            ),
            new=len(sources) - len(previous),
            unchanged=sum(s.previous_verdict == s.verdict for s in previous),
        ),
    )


def wave(size: int = 450, inconsistent: int = 7, unknown: int = 20) -> Outcome:
    """An outcome of `size` sources: `inconsistent` differ, `unknown` have no verdict."""

    def verdict(index: int) -> Verdict:
        step = size // (inconsistent + unknown)
        if index % step or index // step >= inconsistent + unknown:
            return "consistent"
        return "inconsistent" if index // step < inconsistent else "unknown"

    sources = [_source(index, verdict(index)) for index in range(size)]
    folder = f"{FOLDER}/2026-12-04T09-40-12Z-req-0007"
    batches = [
        BatchResult(
            index=number,
            size=100,
            first=100 * number - 99,
            last=min(100 * number, size),
            status="exported",
            export=f"{folder}/batch-{number:06d}-{100 * number - 99:06d}.csv",
        )
        for number in range(1, (size + 99) // 100 + 1)
    ]
    rejected = [
        Rejection(
            row=row,
            reason="task_id is not a UUID (ID_FORMAT=uuid)",
            values={"task_id": f"web-frontend-{row}", "source_id": _id("source", row)},
        )
        for row in (17, 233)
    ]
    rejected.append(Rejection(row=318, reason="source_name is empty", values={"task_id": ""}))
    return Outcome(
        status="succeeded",
        trigger="storage",
        input="obs://migration-bucket/waves/wave-07.csv",
        request_id="req-0007",
        rows=RowCounts(
            received=size + len(rejected), valid=size, rejected=len(rejected), exported=size
        ),
        batches=batches,
        rejected=rejected,
        consistency=_summary(sources),
        started_at="2026-12-04T09:40:12Z",
        finished_at="2026-12-04T09:48:55Z",
        results=f"{folder}/results.csv",
        differing=f"{folder}/differing.csv",
        rejects_report=f"{folder}/rejected.csv",
        stored_outcome=f"{folder}/outcome.json",
    )
