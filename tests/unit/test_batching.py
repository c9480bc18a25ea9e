"""Batches never exceed the item or byte limits, and their size is what the SDK sends."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sms_export.core.batching import encoded_size, halve, plan, unique
from sms_export.core.models import Triple
from tests.support import triples

field_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=255
)
triple_strategy = st.builds(
    Triple, task_id=field_text, source_id=field_text, source_name=field_text
)


def make(rows: list[tuple[str, str, str]]) -> list[Triple]:
    return [Triple(task_id=t, source_id=s, source_name=n) for t, s, n in rows]


def test_duplicates_are_dropped_in_order_and_counted() -> None:
    a, b = make(triples(2))
    kept, dropped = unique([a, b, a, a])
    assert kept == [a, b]
    assert dropped == 2


def test_item_limit() -> None:
    batches = plan(make(triples(401)), max_items=200, max_bytes=10**9)
    assert [len(b.triples) for b in batches] == [200, 200, 1]
    assert [b.index for b in batches] == [1, 2, 3]


@given(
    st.lists(triple_strategy, min_size=1, max_size=60),
    st.integers(1, 200),
    st.integers(5000, 20000),
)
@settings(max_examples=60, deadline=None)
def test_every_batch_respects_both_limits_and_keeps_order(
    items: list[Triple], max_items: int, max_bytes: int
) -> None:
    batches = plan(items, max_items, max_bytes)
    assert [t for b in batches for t in b.triples] == items
    for batch in batches:
        assert len(batch.triples) <= max_items
        assert encoded_size(batch.triples) <= max_bytes or len(batch.triples) == 1


def test_halving_labels_parts() -> None:
    (batch,) = plan(make(triples(5)), 200, 10**9)
    first, second = halve(batch)
    assert (len(first.triples), len(second.triples)) == (2, 3)
    assert (first.part, second.part) == ("1", "2")
    assert (first.start, first.end, second.start, second.end) == (0, 2, 2, 5)
    assert halve(second)[1].part == "2-2"
    assert (halve(second)[1].start, halve(second)[1].end) == (3, 5)


def test_a_batch_of_exactly_max_request_bytes_is_one_batch() -> None:
    items = make(triples(30))
    exact = encoded_size(items)
    assert [len(b.triples) for b in plan(items, 200, exact)] == [30]
    assert [len(b.triples) for b in plan(items, 200, exact - 1)] == [29, 1]


def test_two_hundred_small_triples_under_a_small_byte_limit_make_several_batches() -> None:
    items = make(triples(200))
    batches = plan(items, 200, 2048)
    assert len(batches) > 1
    assert all(encoded_size(b.triples) <= 2048 for b in batches)
    assert [t for b in batches for t in b.triples] == items
    assert [b.start for b in batches] == [
        sum(len(x.triples) for x in batches[:i]) for i in range(len(batches))
    ]


@st.composite
def near_the_limit(draw: st.DrawFn) -> tuple[list[Triple], int, int]:
    items = draw(st.lists(triple_strategy, min_size=1, max_size=60))
    largest = max(encoded_size([item]) for item in items)
    whole = encoded_size(items)
    # A byte limit between one item's body and the whole list's: batches must split on it.
    max_bytes = draw(st.integers(largest, max(largest, whole)))
    return items, draw(st.integers(1, 60)), max_bytes


@given(near_the_limit())
@settings(max_examples=150, deadline=None)
def test_batches_are_as_full_as_both_limits_allow(case: tuple[list[Triple], int, int]) -> None:
    items, max_items, max_bytes = case
    batches = plan(items, max_items, max_bytes, start=7, index=3)
    assert [t for b in batches for t in b.triples] == items
    assert [b.index for b in batches] == list(range(3, 3 + len(batches)))
    assert batches[0].start == 7
    for batch, after in itertools.pairwise(batches):
        assert after.start == batch.end
        assert len(batch.triples) <= max_items
        assert encoded_size(batch.triples) <= max_bytes
        # Full: the next triple would have broken a limit.
        grown = (*batch.triples, after.triples[0])
        assert len(grown) > max_items or encoded_size(grown) > max_bytes
    assert encoded_size(batches[-1].triples) <= max_bytes


@given(st.lists(triple_strategy, max_size=20))
@settings(max_examples=100, deadline=None)
def test_encoded_size_is_the_length_of_the_body_json_writes(items: list[Triple]) -> None:
    """The SDK's body is json.dumps with its defaults (the wire test in tests/integration
    checks that against the emulator); the batcher computes its length without writing it."""
    body = {"task_info": [item._asdict() for item in items]}
    assert encoded_size(items) == len(json.dumps(body))
