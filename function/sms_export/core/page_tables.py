"""The report's tables (pure): the sources by verdict, the rejected rows, the batches.

Names and ids are never wrapped (a wrap after a hyphen reads as two names), so the
columns around them wrap instead; only a name too long for any line may break, anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from html import escape
from pathlib import PurePosixPath
from urllib.parse import quote

from sms_export.core.models import (
    BatchResult,
    ConsistencySummary,
    DirectoryCheck,
    Outcome,
    Rejection,
    SourceVerdict,
)

LONG_NAME = 60  # characters: past this a name may break anywhere rather than widen the page
LONG_VALUE = 120  # a rejected cell's value is cut here; rejected.csv has it whole
FOLDED_CHANGES = 25  # more changed sources than this are folded


def link(uri: str | None) -> str:
    """A stored file beside the report, linked by its name (the folder is the same)."""
    if not uri:
        return ""
    name = PurePosixPath(uri).name
    return f'<a href="{escape(quote(name))}">{escape(name)}</a>'


def _table(headers: Sequence[str], rows: Iterable[str], numeric: set[str], cls: str = "") -> str:
    head = "".join(
        f'<th class="number">{escape(h)}</th>' if h in numeric else f"<th>{escape(h)}</th>"
        for h in headers
    )
    table = f'<table class="{cls}">' if cls else "<table>"
    return f'<div class="scroll">{table}<thead><tr>{head}</tr></thead><tbody>\n' + (
        "\n".join(rows) + "\n</tbody></table></div>"
    )


def _folded(summary: str, content: str) -> str:
    return f"<details><summary>{escape(summary)}</summary>\n{content}\n</details>"


def _number(value: int | None) -> str:
    return f'<td class="number">{"" if value is None else f"{value:,}"}</td>'


def _fits(value: str) -> bool:
    """Whether a name or id is kept on one line: unless too long for any line."""
    return len(value) <= LONG_NAME


def _text(value: str) -> str:
    return f'<span class="{"nw" if _fits(value) else "long"}">{escape(value)}</span>'


def _name(value: str) -> str:
    """A source's name, the first cell of its row (the style keeps it on one line)."""
    return f"<td>{escape(value)}</td>" if _fits(value) else f'<td class="long">{escape(value)}</td>'


def _ids(source: SourceVerdict) -> str:
    return f'<td class="id">{_text(source.source_id)}<br>{_text(source.task_id)}</td>'


def moment(value: str) -> str:
    """An ISO 8601 time in UTC as people write it; a narrow column may wrap at its spaces."""
    return value.replace("T", " ").replace("Z", " UTC")


def _checked(source: SourceVerdict) -> str:
    result = source.check_result
    shown = f'<br><span class="note">SMS: {escape(result)}</span>' if result else ""
    return f"<td>{escape(moment(source.checked_at or ''))}{shown}</td>"


def _directory(directory: DirectoryCheck) -> str:
    counts = ", ".join(
        f"{value:,} {label}"
        for label, value in (
            ("different", directory.different_files),
            ("missing", directory.missing_files),
            ("extra", directory.extra_files),
        )
        if value
    )
    path = _text(directory.path)
    if directory.ignored:
        return f'<li class="ignored-dir">{path}: ignored ({counts})</li>'
    return f"<li>{path}: {counts}</li>"


def _directories(source: SourceVerdict) -> str:
    unclean = [
        d for d in source.directories if d.different_files or d.missing_files or d.extra_files
    ]
    items = "".join(map(_directory, unclean))
    return f'<td><ul class="dirs">{items}</ul></td>' if items else "<td></td>"


IDS = ("source id, task id",)
COUNTS = ("different", "missing on target", "extra on target", "files")
CHECKED = "checked at"


def _differing(source: SourceVerdict) -> str:
    counts = (source.different_files, source.missing_files, source.extra_files, source.total_files)
    return "".join(map(_number, counts)) + _checked(source) + _directories(source)


def _unknown(source: SourceVerdict) -> str:
    return f"<td>{escape(source.reason or '')}</td>{_checked(source)}"


def _consistent(source: SourceVerdict) -> str:
    return _number(source.total_files) + _checked(source)


def _changed(source: SourceVerdict) -> str:
    before = source.previous_verdict or "new"
    return (
        f'<td class="{before} nowrap">{before}</td>'
        f'<td class="{source.verdict} nowrap">{source.verdict}</td>'
    )


def _section(
    title: str,
    chosen: list[SourceVerdict],
    headers: Sequence[str],
    cells: Callable[[SourceVerdict], str],
    numeric: set[str],
    folded: bool = False,
) -> str:
    """One table of sources: the name first, the ids last, what tells them apart between."""
    if not chosen:
        return ""
    rows = (f"<tr>{_name(s.source_name)}{cells(s)}{_ids(s)}</tr>" for s in chosen)
    table = _table(("source", *headers, *IDS), rows, numeric, "sources")
    heading = f"{title} ({len(chosen):,})"
    return _folded(heading, table) if folded else f"<h2>{escape(heading)}</h2>\n{table}"


def sources(summary: ConsistencySummary | None) -> list[str]:
    """The changed sources, the differing ones with their directories, the unknown ones
    with their reasons, then the consistent ones, folded: there may be hundreds."""
    if summary is None:
        return []
    if not summary.sources:
        return ['<h2>Sources</h2><p class="note">No source was exported, so none was checked.</p>']
    by: dict[str, list[SourceVerdict]] = {"inconsistent": [], "unknown": [], "consistent": []}
    for source in summary.sources:
        by[source.verdict].append(source)
    # With no previous run every source would count as new: nothing to say.
    changed = [s for s in summary.sources if s.previous_verdict != s.verdict]
    differing_headers = (*COUNTS, CHECKED, "directories that differ")
    return [
        _section(
            "Changed since the previous run",
            changed if summary.changes else [],
            ("before", "now"),
            _changed,
            set(),
            folded=len(changed) > FOLDED_CHANGES,
        ),
        _section(
            "Sources that differ", by["inconsistent"], differing_headers, _differing, set(COUNTS)
        ),
        _section(
            "Sources without a verdict", by["unknown"], ("why unknown", CHECKED), _unknown, set()
        ),
        _section(
            "Consistent sources", by["consistent"], ("files", CHECKED), _consistent, {"files"}, True
        ),
    ]


def _values(rejection: Rejection) -> str:
    cells = []
    for key, value in (rejection.values or {}).items():
        shown = value if len(value) <= LONG_VALUE else value[: LONG_VALUE - 1] + "\u2026"
        cells.append(f'<span class="key">{escape(key)}</span> {_text(shown)}')
    return "<br>".join(cells)


def rejected(outcome: Outcome) -> str:
    if not outcome.rejected:
        return ""
    rows = (
        f'<tr><td class="number">{r.row}</td><td>{escape(r.reason)}</td><td>{_values(r)}</td></tr>'
        for r in outcome.rejected
    )
    return f"<h2>Rejected rows ({outcome.rows.rejected:,})</h2>\n" + _table(
        ["row", "reason", "values"], rows, {"row"}
    )


def _batch_row(batch: BatchResult) -> str:
    index = f"{batch.index}" + (f".{batch.part}" if batch.part else "")
    status = "failed-batch" if batch.status == "failed" else batch.status
    problem = f"{batch.error_code}: {batch.error_msg}" if batch.error_code else ""
    resumed = " (earlier run)" if batch.resumed else ""
    return (
        f'<tr><td>{escape(index)}</td><td class="number">{batch.first:,}&ndash;{batch.last:,}</td>'
        f'<td class="{status}">{batch.status}{resumed}</td><td>{link(batch.export)}</td>'
        f"<td>{escape(problem)}</td></tr>"
    )


BATCH_ORDER = {"failed": 0, "pending": 1, "exported": 2}


def batches(batches: list[BatchResult]) -> str:
    if not batches:
        return ""
    ordered = sorted(batches, key=lambda batch: BATCH_ORDER[batch.status])
    table = _table(
        ["batch", "rows", "status", "file", "problem"], map(_batch_row, ordered), {"rows"}
    )
    if all(batch.status == "exported" for batch in batches):
        return _folded(f"Batches ({len(batches):,}), all exported", table)
    return f"<h2>Batches</h2>\n{table}"
