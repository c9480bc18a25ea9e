"""The words of the notification (pure)."""

from __future__ import annotations

from sms_export.core import times
from sms_export.core.changes import newly_inconsistent
from sms_export.core.models import ConsistencySummary

NAMED_SOURCES = 10  # differing sources named on the first line


def verdict_line(summary: ConsistencySummary | None) -> str | None:
    """The first line e-mail and SMS subscribers see: which sources differ, led by how many
    newly differ since the previous run when some do (what an operator acts on first); the
    newly differing sources are named first."""
    if summary is None or not summary.checked:
        return None
    differing = summary.differing
    if not differing:
        unknown = f", {summary.unknown} unknown" if summary.unknown else ""
        return f"No source differs: {summary.consistent} of {summary.checked} consistent{unknown}"
    newly = summary.changes.newly_inconsistent if summary.changes else 0
    named = sorted(differing, key=lambda source: not newly_inconsistent(source))[:NAMED_SOURCES]
    names = ", ".join(" ".join(source.source_name.split()) for source in named)
    more = f" and {len(differing) - NAMED_SOURCES} more" if len(differing) > NAMED_SOURCES else ""
    if not (summary.changes and newly):
        return f"{len(differing)} of {summary.checked} sources differ: {names}{more}"
    since = times.readable_iso(summary.changes.since) or "the previous run"
    lead = "1 source newly differs" if newly == 1 else f"{newly} sources newly differ"
    return f"{lead} since {since}; {len(differing)} of {summary.checked} differ: {names}{more}"
