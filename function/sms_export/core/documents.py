"""An outcome as JSON: complete for `outcome.json`, bounded for whatever has a size limit
(a log line, a notification, a synchronous answer) (pure).

A bounded document keeps every total and key; when the lists would not fit it lists the
failed and pending batches first, the first rejected rows and the worst sources, and says
in `truncated` how many entries it left out and where the complete record is.
"""

from __future__ import annotations

import json
from typing import Any

from sms_export.core.models import Outcome

OUTCOME_FILENAME = "outcome.json"  # the complete document, beside the exports
KB = 1024
LOG_LINE_LIMIT = 64 * KB  # FunctionGraph splits entries past 90 KB; CloudWatch at 256 KB
ANSWER_LIMIT = 6 * KB * KB - 64 * KB  # both platforms drop synchronous answers over 6 MB
LISTED = (50, 20, 5, 0)  # entries of each list tried, most first
# Where a bounded document must cut the list of batches, what is left to do is kept first.
BATCH_STATUS_RANK = {"failed": 0, "pending": 1, "exported": 2}
SHORTENED = 240  # characters a string keeps when even the bare totals do not fit


def complete(outcome: Outcome) -> dict[str, Any]:
    document: dict[str, Any] = outcome.model_dump(mode="json")
    return document


def size(document: Any) -> int:
    return len(json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def bounded(outcome: Outcome, max_bytes: int = LOG_LINE_LIMIT) -> dict[str, Any]:
    whole = complete(outcome)
    if size(whole) <= max_bytes:
        return whole
    batches = sorted(whole["batches"], key=lambda batch: BATCH_STATUS_RANK[batch["status"]])
    rejected = whole["rejected"]
    consistency = whole["consistency"]
    sources = consistency["sources"] if consistency else []  # the worst first already
    # The most differing first already; as many as the distinct paths checked, which a
    # wave whose sources check their own directories makes as many as the sources.
    directories = consistency["directories"] if consistency else []

    def listing(count: int) -> dict[str, Any]:
        document = {
            **whole,
            "batches": batches[:count],
            "rejected": rejected[:count],
            "truncated": {
                "batches": max(len(batches) - count, 0),
                "rejected": max(len(rejected) - count, 0),
                "complete_record": outcome.stored_outcome,
            },
        }
        if consistency:
            document["consistency"] = {
                **consistency,
                "sources": sources[:count],
                "directories": directories[:count],
            }
            document["truncated"]["sources"] = max(len(sources) - count, 0)
            document["truncated"]["directories"] = max(len(directories) - count, 0)
        return document

    for count in LISTED:
        document = listing(count)
        if size(document) <= max_bytes:
            return document
    shortened: dict[str, Any] = _shortened(listing(0))
    return shortened


def _shortened(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SHORTENED:
        return value[: SHORTENED - 1] + "…"
    if isinstance(value, dict):
        return {key: _shortened(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_shortened(inner) for inner in value]
    return value
