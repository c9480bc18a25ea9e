"""The key scheme both ways: a stored file is trusted for exactly the triples it holds."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from sms_export.core import checkpoint
from sms_export.core.batching import plan
from sms_export.core.checkpoint import (
    MAX_FOLDER_BYTES,
    Span,
    batch_key,
    covered,
    folder,
    gaps,
    plan_around,
)
from sms_export.core.models import Triple
from tests.support import triples

FOLDER = "consistency-results/bucket/in/t.csv/etag"
ROWS = [Triple(*row) for row in triples(400)]


def keys_for(start: int, end: int, rows: list[Triple] = ROWS, extension: str = ".csv") -> str:
    return batch_key(FOLDER, rows[start:end], start, extension)


def test_a_key_names_its_span_and_the_digest_of_its_triples() -> None:
    key = keys_for(50, 250)
    assert key.startswith(f"{FOLDER}/batch-000051-000250-")
    assert key.endswith(".csv")
    assert covered(FOLDER, [key], ROWS) == [Span(key, 50, 250)]


def test_a_file_is_not_trusted_for_triples_it_does_not_hold() -> None:
    other = [Triple(*row) for row in triples(400, start=1)]  # shifted by one row
    stale = batch_key(FOLDER, other[0:50], 0, ".csv")
    assert covered(FOLDER, [stale], ROWS) == []


def test_spans_past_the_end_and_files_elsewhere_or_of_other_kinds_are_ignored() -> None:
    past_end = batch_key(FOLDER, ROWS[390:400], 395, ".csv")  # claims positions 396-405
    keys = [
        past_end,
        f"{FOLDER}/batch-0001.csv",  # a position-numbered file of an older version
        f"{FOLDER}/outcome.json",
        f"{FOLDER}/rejected.csv",
        f"{FOLDER}/deeper/{keys_for(0, 10).rsplit('/', 1)[1]}",
        keys_for(0, 10).replace(FOLDER, FOLDER + "-other"),
        f"{FOLDER}/batch-000000-000010-{checkpoint.digest(ROWS[0:10])}.csv",  # starts at 0
    ]
    assert covered(FOLDER, keys, ROWS) == []


def test_any_extension_the_api_chose_is_kept_and_read_back() -> None:
    key = keys_for(0, 10, extension=".xlsx")
    assert covered(FOLDER, [key], ROWS) == [Span(key, 0, 10)]
    odd = keys_for(0, 10, extension=".c-s-v")  # could not be read back: left out
    assert not odd.endswith(".c-s-v")
    assert covered(FOLDER, [odd], ROWS) == [Span(odd, 0, 10)]
    bare = keys_for(0, 10, extension="")
    assert covered(FOLDER, [bare], ROWS) == [Span(bare, 0, 10)]


def test_a_copy_adding_nothing_is_left_out_and_gaps_are_what_no_file_covers() -> None:
    first, copy, later = keys_for(0, 50), keys_for(0, 50, extension=".xlsx"), keys_for(60, 80)
    inner = keys_for(10, 20)
    spans = covered(FOLDER, [later, copy, inner, first], ROWS)
    assert [(s.start, s.end) for s in spans] == [(0, 50), (60, 80)]
    assert gaps(spans, 400) == [(50, 60), (80, 400)]
    assert gaps([], 3) == [(0, 3)]
    assert gaps(spans[:1], 50) == []


def test_resume_under_another_batch_size_exports_exactly_what_is_missing() -> None:
    """The review's scenario: 50-row batches, only the first stored; then 200-row batches."""
    first = plan(ROWS, 50, 10**9)[0]
    stored = [batch_key(FOLDER, first.triples, first.start, ".csv")]
    spans = covered(FOLDER, stored, ROWS)
    resumed, batches = plan_around(spans, ROWS, 200, 10**6)
    assert [(index, span.start, span.end) for index, span in resumed] == [(1, 0, 50)]
    assert [(b.index, b.start, b.end) for b in batches] == [(2, 50, 250), (3, 250, 400)]


def test_halved_parts_count_as_what_they_hold() -> None:
    stored = [keys_for(0, 100), keys_for(100, 150), keys_for(200, 400)]  # 150-200 failed
    spans = covered(FOLDER, stored, ROWS)
    resumed, batches = plan_around(spans, ROWS, 200, 10**6)
    assert [(b.start, b.end) for b in batches] == [(150, 200)]
    assert [index for index, _ in resumed] == [1, 2, 4]
    assert batches[0].index == 3


def test_of_files_that_partly_overlap_one_is_trusted_and_the_rest_exported_again() -> None:
    """Issue #20: two runs at once, one halving a batch, stored positions 13-25 and 25-37;
    trusting both put triple 25 twice in the results file and the outcome."""
    halved, whole = keys_for(12, 25), keys_for(24, 37)
    spans = covered(FOLDER, [whole, halved], ROWS[:37])
    assert [(s.start, s.end) for s in spans] == [(12, 25)]  # as long: the first to end
    resumed, batches = plan_around(spans, ROWS[:37], 200, 10**6)
    assert [(span.start, span.end) for _, span in resumed] == [(12, 25)]
    assert [(b.start, b.end) for b in batches] == [(0, 12), (25, 37)]


def test_the_trusted_files_cover_the_most_then_in_the_fewest_files() -> None:
    # A long file overlapping two that together hold more: the two are trusted.
    spans = covered(FOLDER, [keys_for(5, 30), keys_for(0, 10), keys_for(20, 40)], ROWS)
    assert [(s.start, s.end) for s in spans] == [(0, 10), (20, 40)]
    # Halves and the whole they were cut from: the whole, one file for the same triples.
    spans = covered(FOLDER, [keys_for(0, 50), keys_for(50, 100), keys_for(0, 100)], ROWS)
    assert [(s.start, s.end) for s in spans] == [(0, 100)]


@given(st.lists(st.tuples(st.integers(0, 39), st.integers(1, 15)), max_size=8))
@settings(max_examples=150, deadline=None)
def test_the_trusted_files_are_disjoint_and_no_other_disjoint_choice_covers_more(
    stored: list[tuple[int, int]],
) -> None:
    keys = [keys_for(start, min(start + size, 40)) for start, size in stored]
    spans = covered(FOLDER, keys, ROWS[:40])
    held = [position for span in spans for position in range(span.start, span.end)]
    assert len(held) == len(set(held))
    assert spans == sorted(spans, key=lambda span: span.start)
    every = [
        Span(key, start, min(start + size, 40))
        for key, (start, size) in zip(keys, stored, strict=True)
    ]
    most = max(
        sum(span.size for span in choice)
        for count in range(len(every) + 1)
        for choice in itertools.combinations(every, count)
        if all(a.end <= b.start or b.end <= a.start for a, b in itertools.combinations(choice, 2))
    )
    assert len(held) == most


@given(
    st.lists(st.tuples(st.integers(0, 399), st.integers(1, 200)), max_size=12),
    st.integers(1, 200),
)
@settings(max_examples=80, deadline=None)
def test_stored_spans_and_new_batches_together_cover_every_triple_once(
    stored: list[tuple[int, int]], batch_size: int
) -> None:
    keys = [keys_for(start, min(start + size, 400)) for start, size in stored]
    spans = covered(FOLDER, keys, ROWS)
    resumed, batches = plan_around(spans, ROWS, batch_size, 10**6)
    held = [position for _, span in resumed for position in range(span.start, span.end)]
    new = [position for batch in batches for position in range(batch.start, batch.end)]
    assert set(held) | set(new) == set(range(400))
    assert len(held) == len(set(held))  # no triple trusted in two files
    assert not set(held) & set(new)  # nothing stored is exported again
    assert len(new) == len(set(new))
    assert all(batch.triples == tuple(ROWS[batch.start : batch.end]) for batch in batches)
    indexes = sorted([index for index, _ in resumed] + [batch.index for batch in batches])
    assert indexes == list(range(1, len(indexes) + 1))


def test_a_folder_can_never_climb_out_of_the_prefix() -> None:
    assert folder("out/", "bucket", "../../x.csv", "etag") == "out/bucket/%2E%2E/%2E%2E/x.csv/etag"
    assert folder("out/", "b", "./a//b/", "") == "out/b/%2E/a/b"
    assert ".." not in folder("", "..", "..").split("/")


def test_a_folder_too_long_for_a_key_is_shortened_to_a_digest_deterministically() -> None:
    key = "k/" * 400 + "é" * 200  # a legal 1,000-byte object key
    long = folder("consistency-results/", "bucket", key, "etag")
    assert len(long.encode()) <= MAX_FOLDER_BYTES
    assert long == folder("consistency-results/", "bucket", key, "etag")
    assert long != folder("consistency-results/", "bucket", key, "etag-2")
    name = keys_for(0, 200).rsplit("/", 1)[1]
    assert len(f"{long}/{name}".encode()) <= 1024  # S3's and OBS's key limit
    assert long.startswith("consistency-results/bucket/k/k/")  # still readable


def test_the_digest_of_a_span_is_stable_across_versions() -> None:
    """Files stored by an earlier version must still be recognised after an upgrade."""
    triples_ = [Triple("t-1", "s-1", "web-01"), Triple("t-2", "s-2", "数据库")]
    assert checkpoint.digest(triples_) == hashlib_digest(triples_)
    assert checkpoint.digest([Triple("a", "b", "c")]) != checkpoint.digest([Triple("ab", "", "c")])
    assert checkpoint.digest([Triple("t", "s", "\ud800")])  # any text, even a lone surrogate


def hashlib_digest(triples_: list[Triple]) -> str:
    import hashlib

    joined = b"".join("\x1f".join(t).encode() + b"\x1e" for t in triples_)
    return hashlib.sha256(joined).hexdigest()[:16]


def test_a_trusted_file_is_found_whatever_comes_before_it_in_the_listing() -> None:
    good = keys_for(0, 10)
    assert covered(FOLDER, [f"{FOLDER}/outcome.json", good], ROWS) == [Span(good, 0, 10)]


def test_a_file_claiming_no_triples_is_ignored() -> None:
    empty = f"{FOLDER}/batch-000002-000001-{checkpoint.digest([])}.csv"
    assert covered(FOLDER, [empty], ROWS) == []


def test_a_single_triple_at_the_start_and_a_longer_copy_keep_the_longest() -> None:
    one, short, longer = keys_for(0, 1), keys_for(0, 10), keys_for(0, 50)
    assert [(s.start, s.end) for s in covered(FOLDER, [one], ROWS)] == [(0, 1)]
    assert [(s.start, s.end) for s in covered(FOLDER, [short, longer], ROWS)] == [(0, 50)]


def test_the_folder_limit_is_exact() -> None:
    prefix = "consistency-results/"
    fits = "f" * (MAX_FOLDER_BYTES - len(prefix))
    assert folder(prefix, fits) == prefix + fits
    cut = folder(prefix, fits + "g")
    head, _, tail = cut.partition("…")
    assert len(cut.encode()) == MAX_FOLDER_BYTES - 5  # 40 bytes kept for "…" and the digest
    assert head == prefix + "f" * (MAX_FOLDER_BYTES - 40 - len(prefix))
    assert len(tail) == 32
    assert all(ch in "0123456789abcdef" for ch in tail)


def test_a_prefix_too_long_for_any_folder_still_gives_a_digest() -> None:
    prefix = "p" * 895 + "/"
    cut = folder(prefix, "input.csv")
    assert cut.startswith(prefix + "…")
    assert len(cut) == len(prefix) + 1 + 32


def test_a_folder_of_any_text_is_shortened_without_failing() -> None:
    odd = "\ud800" * 400  # a lone surrogate cannot be UTF-8 encoded strictly
    cut = folder("out/", odd)
    assert cut.startswith("out/")
    assert len(cut.partition("…")[2]) == 32
