"""What subscribers read: a subject, a first line that says which sources differ, a few
plain lines for e-mail and SMS, and the outcome's JSON within a topic's size limit (pure)."""

from __future__ import annotations

import json

from sms_export.core import times
from sms_export.core.changes import newly_inconsistent
from sms_export.core.documents import KB, bounded
from sms_export.core.models import ConsistencySummary, Outcome

SUBJECT_LIMIT = 99  # SNS's; SMN takes 512 bytes
NAMED_SOURCES = 10  # differing sources named on the first line


def subject(outcome: Outcome, limit: int = SUBJECT_LIMIT) -> str:
    rows = outcome.rows
    differing = outcome.consistency.inconsistent if outcome.consistency else 0
    text = (
        f"SMS consistency export {outcome.status}: {rows.exported} of "
        f"{rows.valid - rows.duplicates} rows"
        + (f", {differing} sources differ" if differing else "")
        + f", {outcome.input}"
    )
    text = " ".join(text.split())  # subjects allow no line breaks
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def summary_text(outcome: Outcome, limit: int = 480) -> str:
    """A few plain lines for e-mail and SMS subscribers, the differing sources first (no
    brackets: SMS refuses them)."""
    parts = [
        f"{outcome.status}: {outcome.rows.exported} rows exported from {outcome.input}",
        f"{outcome.rows.rejected} rejected",
    ]
    if outcome.unfinished:
        parts.append(f"{len(outcome.unfinished)} batches not exported")
    if outcome.error is not None:
        parts.append(f"{outcome.error.code}: {outcome.error.message}")
    for label, uri in (("report", outcome.report), ("details", outcome.stored_outcome)):
        if uri:
            parts.append(f"{label}: {uri}")
    first = verdict_line(outcome.consistency)
    text = "\n".join(([first] if first else []) + ["; ".join(parts)])
    for bracket in "[]【】":
        text = text.replace(bracket, "")
    return text[:limit]


def message(outcome: Outcome, limit: int) -> str:
    """The outcome as JSON within `limit` bytes; the stored outcome has everything."""
    return json.dumps(bounded(outcome, limit), ensure_ascii=False)


def structured(
    outcome: Outcome, machines: tuple[str, ...], people: tuple[str, ...], limit: int
) -> str:
    """A message structure: the outcome's JSON for each protocol in `machines`, words for
    each in `people`, within `limit` bytes as sent (the JSON is escaped inside it)."""
    words = summary_text(outcome)
    budget = limit // len(machines)
    while True:
        full = message(outcome, budget)
        copies = {**dict.fromkeys(machines, full), **dict.fromkeys(people, words)}
        document = json.dumps(copies, ensure_ascii=False)
        if len(document.encode("utf-8", "surrogatepass")) <= limit or budget < KB:
            return document
        budget = budget * 3 // 4


def utf8_prefix(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, never cutting a character in half."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")
