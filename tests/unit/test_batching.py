"""Batches never exceed the item or byte limits, and their size is what the SDK sends."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sms_export.batching import encoded_size, halve, plan, unique
from sms_export.models import Triple
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
