"""`sms-export`'s exit codes: which outcome gives which code, and which code wins."""

from __future__ import annotations

import pytest

from sms_export.core.models import (
    BatchResult,
    Changes,
    ConsistencySummary,
    Outcome,
    Problem,
    RowCounts,
)
from sms_export_cli.gates import (
    INCOMPLETE,
    INCONSISTENT,
    NEWLY_INCONSISTENT,
    OK,
    REJECTED,
    UNKNOWN,
    FailOn,
    exit_code,
    parse_fail_on,
)

EVERY = frozenset(FailOn)
NONE: frozenset[FailOn] = frozenset()


def outcome(
    *,
    exported: int = 10,
    valid: int = 10,
    rejected: int = 0,
    inconsistent: int = 0,
    unknown: int = 0,
    newly: int | None = None,
    verdicts: bool = True,
) -> Outcome:
    rows = RowCounts(received=valid + rejected, valid=valid, rejected=rejected, exported=exported)
    status = "succeeded" if exported == valid and not rejected else "partial"
    summary = ConsistencySummary(
        checked=valid,
        consistent=valid - inconsistent - unknown,
        inconsistent=inconsistent,
        unknown=unknown,
        changes=None if newly is None else Changes(newly_inconsistent=newly),
    )
    return Outcome(
        status="failed" if not exported else status,
        trigger="cli",
        input="wave.csv",
        request_id="r",
        rows=rows,
        batches=[BatchResult(index=1, size=valid, first=1, last=valid, status="exported")],
        consistency=summary if verdicts else None,
    )


def test_a_clean_export_exits_0_whatever_is_gated() -> None:
    assert exit_code([outcome()], EVERY, exported=True) == OK


@pytest.mark.parametrize(
    ("made", "fail_on", "code"),
    [
        (outcome(inconsistent=2), {FailOn.inconsistent}, INCONSISTENT),
        (outcome(unknown=1), {FailOn.unknown}, UNKNOWN),
        (outcome(rejected=1), {FailOn.rejected}, REJECTED),
        (outcome(inconsistent=1, newly=1), {FailOn.newly_inconsistent}, NEWLY_INCONSISTENT),
        # Not asked for: no code.
        (outcome(inconsistent=2), {FailOn.unknown}, OK),
        (outcome(unknown=1), {FailOn.inconsistent}, OK),
        (outcome(inconsistent=1, newly=0), {FailOn.newly_inconsistent}, OK),
        # The first run has no previous one: nothing is newly inconsistent.
        (outcome(inconsistent=1), {FailOn.newly_inconsistent}, OK),
    ],
)
def test_each_gated_condition_has_its_own_code(
    made: Outcome, fail_on: set[FailOn], code: int
) -> None:
    assert exit_code([made], frozenset(fail_on), exported=True) == code


def test_rejected_rows_leave_an_export_incomplete_unless_gated_apart() -> None:
    assert exit_code([outcome(rejected=1)], NONE, exported=True) == INCOMPLETE
    assert exit_code([outcome(rejected=1)], NONE, exported=False) == OK


def test_an_unfinished_export_wins_over_every_gate() -> None:
    worst = outcome(exported=4, rejected=1, inconsistent=1, unknown=1, newly=1)
    assert exit_code([worst], EVERY, exported=True) == INCOMPLETE
    assert exit_code([outcome(exported=0)], NONE, exported=True) == INCOMPLETE


def test_a_stored_outcome_is_judged_on_its_gates_only() -> None:
    assert exit_code([outcome(exported=4, unknown=1)], NONE, exported=False) == OK
    assert exit_code([outcome(exported=4, unknown=1)], EVERY, exported=False) == UNKNOWN


def test_the_precedence_is_newly_inconsistent_inconsistent_unknown_rejected() -> None:
    cases = [
        outcome(rejected=1, inconsistent=1, unknown=1, newly=1),
        outcome(rejected=1, inconsistent=1, unknown=1),
        outcome(rejected=1, unknown=1),
        outcome(rejected=1),
    ]
    assert [exit_code([made], EVERY, exported=False) for made in cases] == [
        NEWLY_INCONSISTENT,
        INCONSISTENT,
        UNKNOWN,
        REJECTED,
    ]


def test_the_worst_of_several_files_decides() -> None:
    files = [outcome(unknown=1), outcome(), outcome(inconsistent=3)]
    assert exit_code(files, EVERY, exported=True) == INCONSISTENT


def test_a_gate_on_verdicts_fails_when_there_are_none() -> None:
    unchecked = outcome(verdicts=False)
    assert exit_code([unchecked], frozenset({FailOn.inconsistent}), exported=True) == UNKNOWN
    assert exit_code([unchecked], frozenset({FailOn.rejected}), exported=True) == OK


def test_a_failed_input_is_incomplete() -> None:
    failed = Outcome(
        status="failed",
        trigger="cli",
        input="wave.csv",
        request_id="r",
        error=Problem(code="NoRows", message="wave.csv holds no rows to export."),
    )
    assert exit_code([failed], NONE, exported=True) == INCOMPLETE


def test_fail_on_reads_a_comma_separated_list() -> None:
    assert parse_fail_on("inconsistent, newly-inconsistent,") == {
        FailOn.inconsistent,
        FailOn.newly_inconsistent,
    }
    assert parse_fail_on(None) == frozenset()
    with pytest.raises(ValueError, match="not a --fail-on condition: differ, stale"):
        parse_fail_on("differ,unknown,stale")
