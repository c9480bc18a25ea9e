"""Whatever happened before, the stored exports tell the truth: a property test over random
sequences of attempts on one input, with other batch sizes, byte limits, faults, halving and
deadlines in each, through the real SDK against the emulator.

After every attempt:
- each stored file holds exactly the triples its name claims (the emulator's file lists
  what it was asked for);
- no triple is stored twice (no attempt here is killed between the API's answer and the
  store, the one window where a triple can be exported twice; see the README), unless
  another instance stored a file at the same time, cut differently (`stray`);
- no two of the outcome's batches hold the same triple, `rows.exported` is the number of
  triples they hold, all stored, and the results file holds each of them once;
and after a last attempt without faults, the stored files hold every valid distinct triple,
and so does the results file, once each.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator import EmulatorServer, Fault, SmsBackend
from emulator.sms.models import export_file_for
from sms_export.adapters.platform import Invocation
from sms_export.core import checkpoint
from sms_export.core.input_kinds import InlineInput
from sms_export.core.models import Outcome, Triple
from sms_export.flow import Flow
from sms_export.settings import Settings
from tests.support import ACCESS_KEY, SECRET_KEY, parse_export, triples

FAULTS = (
    Fault.throttle(),
    Fault.server_error(500),
    Fault.sms_error(404, "SMS.2252", "no task for this source"),  # permanent
    Fault.cut_download(),
    Fault.drop_connection(),
)


@dataclass(frozen=True)
class Attempt:
    batch_size: int
    max_request_bytes: int
    api_limit: int  # what the emulator accepts: below MAX_REQUEST_BYTES, batches are halved
    faults: tuple[Fault, ...]
    batches_before_deadline: int | None  # time runs out after this many batch starts
    concurrency: int
    # Positions (start, size) of a file another instance, delivered the same input at the
    # same moment, stores just before this attempt lists the folder: cut differently, it
    # may partly overlap what this input's attempts stored.
    stray: tuple[int, int] | None


attempts = st.builds(
    Attempt,
    batch_size=st.integers(1, 80),
    max_request_bytes=st.sampled_from([1024, 2500, 10240]),
    api_limit=st.sampled_from([10240, 2000, 1100]),
    faults=st.lists(st.sampled_from(FAULTS), max_size=6).map(tuple),
    batches_before_deadline=st.none() | st.integers(0, 6),
    concurrency=st.integers(1, 4),
    stray=st.none() | st.tuples(st.integers(0, 89), st.integers(1, 40)),
)
CLEAN = Attempt(200, 10240, 10240, (), None, 4, None)
FOLDER = checkpoint.folder("consistency-results/", "inline", "message-1")


def items_of(count: int, duplicates: int) -> list[dict[str, str]]:
    rows = triples(count)
    rows += rows[:duplicates]  # exact duplicates: exported once
    fields = ("task_id", "source_id", "source_name")
    items = [dict(zip(fields, row, strict=True)) for row in rows]
    items.insert(count // 2, {"task_id": "", "source_id": "s", "source_name": "n"})  # rejected
    return items


def invocation(attempt: Attempt) -> Invocation:
    starts = itertools.count()

    def remaining_ms() -> int:
        # The runner asks before each batch (and each retry): the first n questions find
        # plenty of time, every later one finds the function about to time out.
        limit = attempt.batches_before_deadline
        return 300_000 if limit is None or next(starts) < limit else 1_000

    return Invocation("lambda", "request", remaining_ms=remaining_ms)


def store_stray(attempt: Attempt, out: Path, distinct: list[Triple]) -> bool:
    """The file the other instance stores, named and filled as an export of its span."""
    if attempt.stray is None or attempt.stray[0] >= len(distinct):
        return False
    start, size = attempt.stray
    held = distinct[start : start + size]
    path = out / checkpoint.batch_key(FOLDER, held, start, ".csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(export_file_for(held).content)
    return True


def run(
    attempt: Attempt, backend: SmsBackend, endpoint: str, out: Path, items: list[dict[str, str]]
) -> Outcome:
    backend.max_request_bytes = attempt.api_limit
    backend.faults.clear()
    backend.inject(*attempt.faults)
    configured = Settings(
        sms_endpoint=endpoint,
        cloud_sdk_ak=ACCESS_KEY,
        cloud_sdk_sk=SECRET_KEY,
        export_dir=str(out),
        batch_size=attempt.batch_size,
        max_request_bytes=attempt.max_request_bytes,
        max_concurrency=attempt.concurrency,
        max_attempts=2,
        retry_base_seconds=0.001,
        retry_max_seconds=0.002,
        retry_throttle_base_seconds=0.001,
        sms_read_timeout=2,
    )
    flow = Flow(configured, invocation(attempt), "sqs")
    return flow.run(InlineInput(items, origin="message-1"))


def stored_files(out: Path) -> dict[str, list[tuple[str, str, str]]]:
    return {
        path.relative_to(out).as_posix(): parse_export(path.read_bytes())
        for path in sorted(out.rglob("batch-*"))
    }


@given(
    st.lists(attempts, min_size=1, max_size=4),
    st.integers(10, 90),
    st.integers(0, 5),
)
@settings(max_examples=12, deadline=None)
def test_any_sequence_of_attempts_leaves_a_truthful_checkpoint(
    sequence: list[Attempt], count: int, duplicates: int
) -> None:
    items = items_of(count, duplicates)
    distinct = [Triple(*row) for row in triples(count)]
    backend = SmsBackend(credentials={ACCESS_KEY: SECRET_KEY})
    with EmulatorServer(backend) as server, TemporaryDirectory() as directory:
        out = Path(directory)
        strays = False
        for attempt in [*sequence, CLEAN]:
            strays |= store_stray(attempt, out, distinct)
            outcome = run(attempt, backend, server.endpoint, out, items)
            files = stored_files(out)
            for key, held in files.items():
                (span,) = checkpoint.covered(FOLDER, [key], distinct)  # its name is true…
                assert held == [
                    tuple(t) for t in distinct[span.start : span.end]
                ]  # …and its content
            counts = Counter(item for held in files.values() for item in held)
            if not strays:
                assert max(counts.values(), default=1) == 1, "a triple is stored twice"
                assert outcome.rows.exported == len(counts)
            exported = outcome_triples(outcome, distinct)
            assert len(exported) == len(set(exported)), "two outcome batches overlap"
            assert outcome.rows.exported == len(exported)
            assert set(exported) <= set(counts)  # exported: held by a stored file
            if outcome.results is not None:
                assert results_rows(out) == exported, "the results file is not the exports"
        assert set(counts) == {tuple(t) for t in distinct}
        assert results_rows(out) == distinct  # each once, in input order


def outcome_triples(outcome: Outcome, distinct: list[Triple]) -> list[Triple]:
    """What the outcome's exported batches hold, in their order, repeats kept."""
    return [
        triple
        for batch in outcome.batches
        if batch.status == "exported"
        for triple in distinct[batch.first - 1 : batch.last]
    ]


def results_rows(out: Path) -> list[tuple[str, str, str]]:
    return parse_export((out / FOLDER / "results.csv").read_bytes())
