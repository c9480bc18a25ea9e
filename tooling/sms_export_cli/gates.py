"""The exit codes of `sms-export`, so that a script or a pipeline can act on an export
without reading it: one code per outcome, as rclone check has (the table is in
docs/command-line.md).

When several apply, the smallest code wins: first what makes the rest untrustworthy (an
unusable input, an unfinished export), then what is newest and most actionable.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from sms_export.core.models import Outcome

OK = 0
INCOMPLETE = 1  # export: not every valid row exported (or rows rejected, unless gated apart)
UNUSABLE = 2  # a file, the configuration or a stored outcome cannot be used at all
RETRY = 3  # invoke: the platform would retry the invocation
NEWLY_INCONSISTENT = 4
INCONSISTENT = 5
UNKNOWN = 6  # or no verdict at all, where a verdict was asked for
REJECTED = 7


class FailOn(str, Enum):
    """What `--fail-on` can name; each has its own exit code."""

    inconsistent = "inconsistent"
    unknown = "unknown"
    rejected = "rejected"
    newly_inconsistent = "newly-inconsistent"


VERDICT_GATES = frozenset({FailOn.inconsistent, FailOn.unknown, FailOn.newly_inconsistent})


def parse_fail_on(text: str | None) -> frozenset[FailOn]:
    """`inconsistent,unknown` → the conditions; ValueError names the words not known."""
    words = [word.strip() for word in (text or "").split(",") if word.strip()]
    known = {condition.value: condition for condition in FailOn}
    wrong = [word for word in words if word not in known]
    if wrong:
        raise ValueError(
            f"not a --fail-on condition: {', '.join(wrong)} "
            f"(choose among {', '.join(known)}, comma-separated)"
        )
    return frozenset(known[word] for word in words)


def exit_code(outcomes: Iterable[Outcome], fail_on: frozenset[FailOn], *, exported: bool) -> int:
    """The code for these outcomes: `exported` when this run exported them (`export`),
    not when it reads a stored one (`report`), which says nothing about this run."""
    found = {code for outcome in outcomes for code in _codes(outcome, fail_on, exported)}
    return min(found, default=OK)


def _codes(outcome: Outcome, fail_on: frozenset[FailOn], exported: bool) -> Iterable[int]:
    rows = outcome.rows
    if exported and (outcome.status == "failed" or rows.exported < rows.valid - rows.duplicates):
        yield INCOMPLETE
    if rows.rejected:
        if FailOn.rejected in fail_on:
            yield REJECTED
        elif exported:
            yield INCOMPLETE  # as before --fail-on existed: a rejected row is not exported
    summary = outcome.consistency
    if summary is None:
        if fail_on & VERDICT_GATES:
            yield UNKNOWN  # a gate on verdicts never passes for want of any
        return
    changes = summary.changes
    if FailOn.newly_inconsistent in fail_on and changes is not None and changes.newly_inconsistent:
        yield NEWLY_INCONSISTENT
    if FailOn.inconsistent in fail_on and summary.inconsistent:
        yield INCONSISTENT
    if FailOn.unknown in fail_on and summary.unknown:
        yield UNKNOWN
