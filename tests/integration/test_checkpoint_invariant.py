"""Whatever happened before, the stored exports tell the truth: a property test over random
sequences of attempts on one input, with other batch sizes, byte limits, faults, halving and
deadlines in each, through the real SDK against the emulator.

After every attempt:
- each stored file holds exactly the triples its name claims (the emulator's file lists
  what it was asked for);
- no triple is stored twice (no attempt here is killed between the API's answer and the
  store, the one window where a triple can be exported twice; see the README);
- `rows.exported` is the number of distinct triples the stored files hold;
and after a last attempt without faults, the stored files hold every valid distinct triple.
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
from sms_export.adapters.platform import Invocation
from sms_export.core import checkpoint
from sms_export.core.models import Triple
from sms_export.core.triggers import InlineInput
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


attempts = st.builds(
    Attempt,
    batch_size=st.integers(1, 80),
    max_request_bytes=st.sampled_from([1024, 2500, 10240]),
    api_limit=st.sampled_from([10240, 2000, 1100]),
    faults=st.lists(st.sampled_from(FAULTS), max_size=6).map(tuple),
    batches_before_deadline=st.none() | st.integers(0, 6),
    concurrency=st.integers(1, 4),
)
CLEAN = Attempt(200, 10240, 10240, (), None, 4)


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


def run(
    attempt: Attempt, backend: SmsBackend, endpoint: str, out: Path, items: list[dict[str, str]]
) -> int:
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
    outcome = flow.run(InlineInput(items, origin="message-1"))
    return outcome.rows.exported


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
        for attempt in [*sequence, CLEAN]:
            exported = run(attempt, backend, server.endpoint, out, items)
            files = stored_files(out)
            folder = checkpoint.folder("consistency-results/", "inline", "message-1")
            for key, held in files.items():
                (span,) = checkpoint.covered(folder, [key], distinct)  # its name is true…
                assert held == [
                    tuple(t) for t in distinct[span.start : span.end]
                ]  # …and its content
            counts = Counter(item for held in files.values() for item in held)
            assert max(counts.values(), default=1) == 1, "a triple is stored twice"
            assert exported == len(counts)
        assert set(counts) == {tuple(t) for t in distinct}
