"""Valid triples → de-duplicated batches that the API accepts (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii

from sms_export.core.models import Triple

_EMPTY_BODY = len(json.dumps({"task_info": []}))
_SEPARATOR = len(", ")


@dataclass(frozen=True)
class Batch:
    index: int
    triples: tuple[Triple, ...]
    start: int = 0  # where its first triple is among the input's distinct valid triples
    part: str | None = None  # "1", "2", "2-1"…: the halves of a batch the API found too large

    @property
    def end(self) -> int:
        return self.start + len(self.triples)


def unique(triples: Sequence[Triple]) -> tuple[list[Triple], int]:
    """Keep the first of each exact duplicate, in order; also return how many were dropped."""
    kept = list(dict.fromkeys(triples))
    return kept, len(triples) - len(kept)


_ITEM_OVERHEAD = len(json.dumps({"task_id": "", "source_id": "", "source_name": ""}))


def item_size(triple: Triple) -> int:
    # The SDK serialises with (simple)json defaults: ", "/": " separators and ASCII escapes,
    # so every character outside ASCII costs 6 bytes (12 outside the BMP).
    return (
        _ITEM_OVERHEAD
        + len(encode_basestring_ascii(triple.task_id))
        + len(encode_basestring_ascii(triple.source_id))
        + len(encode_basestring_ascii(triple.source_name))
        - 6
    )  # the quotes, counted twice


def encoded_size(triples: Sequence[Triple]) -> int:
    """Bytes of the request body `{"task_info": [...]}` exactly as the SDK sends it."""
    if not triples:
        return _EMPTY_BODY
    return _EMPTY_BODY + sum(map(item_size, triples)) + _SEPARATOR * (len(triples) - 1)


def plan(
    triples: Sequence[Triple], max_items: int, max_bytes: int, *, start: int = 0, index: int = 1
) -> list[Batch]:
    """Fill batches in order up to `max_items` items and `max_bytes` of encoded body.

    `triples` begin at position `start` of the input's distinct triples; the batches are
    numbered from `index`."""
    batches: list[Batch] = []
    current: list[Triple] = []
    size = _EMPTY_BODY
    for triple in triples:
        added = item_size(triple) + (_SEPARATOR if current else 0)
        if current and (len(current) == max_items or size + added > max_bytes):
            batches.append(Batch(index + len(batches), tuple(current), start))
            start += len(current)
            current, size, added = [], _EMPTY_BODY, item_size(triple)
        current.append(triple)
        size += added
    if current:
        batches.append(Batch(index + len(batches), tuple(current), start))
    return batches


def halve(batch: Batch) -> tuple[Batch, Batch]:
    middle = len(batch.triples) // 2
    prefix = f"{batch.part}-" if batch.part else ""
    return (
        Batch(batch.index, batch.triples[:middle], batch.start, prefix + "1"),
        Batch(batch.index, batch.triples[middle:], batch.start + middle, prefix + "2"),
    )
