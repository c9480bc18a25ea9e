"""The export key scheme, in both directions: where an input's files go, and which of its
triples the files already stored there cover (pure).

An input's distinct valid triples are numbered 1…n in input order. Each batch file is named
for the span it holds and a digest of that span's triples:

    <EXPORT_PREFIX><input folder>/batch-000051-000250-3f9a0c1d2e4b5a69.csv

A resume lists the folder once and trusts a file only when its digest matches the same span
of the triples read now, so it never depends on the plan that produced the file (another
BATCH_SIZE or MAX_REQUEST_BYTES, halved parts, a run stopped halfway) and never takes a file
for rows it does not hold. Of files that overlap (runs that cut the triples differently)
it trusts a disjoint set, so that each triple is held by one trusted file. Only the triples
no trusted file covers are exported again.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sms_export.core.batching import Batch, plan
from sms_export.core.models import Triple

# S3 and OBS keys are at most 1,024 bytes of UTF-8; a batch name and the digest that stands
# in for an over-long folder leave room under this.
MAX_FOLDER_BYTES = 900
_DIGEST_CHARS = 16
_EXTENSION = r"\.\w{1,10}"
_BATCH_FILE = re.compile(
    rf"batch-(?P<first>\d{{6,}})-(?P<last>\d{{6,}})-(?P<digest>[0-9a-f]{{16}})({_EXTENSION})?"
)


@dataclass(frozen=True)
class Span:
    """Stored triples `start` (0-based) up to `end` (exclusive), in the file at `key`."""

    key: str
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start


def digest(triples: Iterable[Triple]) -> str:
    hashed = hashlib.sha256()
    for triple in triples:
        # Unit and record separators cannot occur in a valid field (control characters).
        hashed.update("\x1f".join(triple).encode("utf-8", "surrogatepass") + b"\x1e")
    return hashed.hexdigest()[:_DIGEST_CHARS]


def batch_key(folder: str, triples: Sequence[Triple], start: int, extension: str) -> str:
    """The key of the file holding `triples`, which begin at position `start`; an extension
    the name could not be read back with (`.c-s-v`, say) is left out."""
    first, last = start + 1, start + len(triples)
    extension = extension if re.fullmatch(_EXTENSION, extension) else ""
    return f"{folder}/batch-{first:06d}-{last:06d}-{digest(triples)}{extension}"


def folder(prefix: str, *segments: str) -> str:
    """`<prefix>a/b/c`, safe as a key and as a path: no segment is empty, `.` or `..`, and
    a folder too long to leave room for its file names is shortened to a digest."""
    parts = [part for segment in segments for part in segment.split("/")]
    path = "/".join(_safe(part) for part in parts if part)
    if len((prefix + path).encode("utf-8", "surrogatepass")) > MAX_FOLDER_BYTES:
        whole = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        path = f"{_utf8_prefix(path, MAX_FOLDER_BYTES - len(prefix.encode()) - 40)}…{whole}"
    return prefix + path


def _safe(part: str) -> str:
    return "%2E" * len(part) if part in (".", "..") else part


def _utf8_prefix(text: str, limit: int) -> str:
    return text.encode("utf-8", "surrogatepass")[: max(limit, 0)].decode("utf-8", "ignore")


def covered(folder: str, keys: Iterable[str], triples: Sequence[Triple]) -> list[Span]:
    """The stored files under `folder` that hold what they say of `triples`, by position,
    and no two of them the same triple; a file whose span is out of range or whose digest
    differs (another input, other rules) is not trusted."""
    spans: list[Span] = []
    for key in keys:
        directory, _, name = key.rpartition("/")
        found = _BATCH_FILE.fullmatch(name)
        if directory != folder or found is None:
            continue
        start, end = int(found["first"]) - 1, int(found["last"])
        if 0 <= start < end <= len(triples) and digest(triples[start:end]) == found["digest"]:
            spans.append(Span(key, start, end))
    return _disjoint(spans)


def _disjoint(spans: list[Span]) -> list[Span]:
    """The files to trust, no two holding the same triple, covering the most triples in
    the fewest files. Stored files overlap when runs cut the triples differently (two
    deliveries at once, one of them halving a batch the API found too large; another
    BATCH_SIZE); the results file merges the trusted files whole, and the outcome lists
    them as its batches, so an overlap would repeat rows there. What the chosen files leave
    out is exported again, into a file of its own.

    Weighted interval scheduling: the files ordered by where they end, best[i] the best
    choice among the first i, as (triples covered, minus files used)."""
    ordered = sorted(spans, key=lambda span: (span.end, span.start, span.key))
    ends = [span.end for span in ordered]
    best: list[tuple[int, int]] = [(0, 0)]
    taken: list[bool] = []
    for i, span in enumerate(ordered):
        held, files = best[bisect_right(ends, span.start, 0, i)]  # those ending before it
        with_it = (held + span.size, files - 1)
        # On a tie the earlier choice stays: of two copies of one span, the first by key.
        taken.append(with_it > best[i])
        best.append(max(with_it, best[i]))
    chosen: list[Span] = []
    i = len(ordered)
    while i > 0:
        if taken[i - 1]:
            span = ordered[i - 1]
            chosen.append(span)
            i = bisect_right(ends, span.start, 0, i - 1)
        else:
            i -= 1
    return chosen[::-1]


def gaps(spans: Sequence[Span], total: int) -> list[tuple[int, int]]:
    """The stretches of positions 0…total that no span covers, in order."""
    found: list[tuple[int, int]] = []
    reach = 0
    for span in sorted(spans, key=lambda span: span.start):
        if span.start > reach:
            found.append((reach, span.start))
        reach = max(reach, span.end)
    if reach < total:
        found.append((reach, total))
    return found


def plan_around(
    spans: Sequence[Span], triples: Sequence[Triple], max_items: int, max_bytes: int
) -> tuple[list[tuple[int, Span]], list[Batch]]:
    """Batches for the stretches no stored export covers; stored spans and new batches are
    numbered together, in the order of their triples."""
    stretches: list[tuple[int, Span | tuple[int, int]]] = [(span.start, span) for span in spans]
    stretches += [(start, (start, end)) for start, end in gaps(spans, len(triples))]
    resumed: list[tuple[int, Span]] = []
    batches: list[Batch] = []
    index = 1
    for _, stretch in sorted(stretches, key=lambda item: item[0]):
        if isinstance(stretch, Span):
            resumed.append((index, stretch))
            index += 1
            continue
        start, end = stretch
        planned = plan(
            triples[start:end],
            max_items,
            max_bytes,
            start=start,
            index=index,
        )
        batches += planned
        index += len(planned)
    return resumed, batches
