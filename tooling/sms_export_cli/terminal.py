"""What the command line prints on the terminal: file checks, export summaries, verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sms_export.api import Layout, Validation
from sms_export.core.models import FIELDS, Outcome

FORMATS = {"csv": "CSV", "json": "JSON", "jsonl": "JSON Lines", "xlsx": "xlsx"}
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODINGS = {"utf-8-sig": "UTF-8 with a byte-order mark", "gb18030": "GB18030 (GBK)"}


def detected(layout: Layout) -> str:
    """How a file was read, in words: what to check first when its rows look wrong."""
    if layout.format is None:
        return ""
    parts = [FORMATS[layout.format]]
    if layout.encoding:
        parts.append(ENCODINGS.get(layout.encoding, layout.encoding.upper()))
    if layout.separator:
        parts.append(f"{SEPARATORS[layout.separator]}-separated")
    said = "read as " + ", ".join(parts)
    if not layout.columns:
        return said
    if layout.header_row is None:
        return said + "; no header: the first three columns are " + ", ".join(layout.columns)
    return f"{said}; header on row {layout.header_row}: " + ", ".join(
        _column(layout, field, place) for place, field in enumerate(FIELDS)
    )


def _column(layout: Layout, field: str, place: int) -> str:
    """A field, with the cell that named it when the name differs, and the column when it
    is not where the standard header has it."""
    index = layout.columns[field]
    cell = layout.header[index].strip()
    said = field if cell == field else f"{field} = {cell!r}"
    return said if index == place else f"{said} (column {index + 1})"


def validation_json(checked: Validation) -> dict[str, Any]:
    layout = checked.layout
    return {
        "file": checked.file,
        "rows": None if checked.error else checked.rows.model_dump(exclude={"exported"}),
        "error": checked.error.model_dump(include={"code", "message"}) if checked.error else None,
        "detected": {
            "format": layout.format,
            "encoding": layout.encoding,
            "separator": layout.separator,
            "header_row": layout.header_row,
            "columns": layout.columns,
        },
        "batches": len(checked.batches),
        "rejected": [{"row": r.row, "reason": r.reason} for r in checked.rejected],
    }


def show(checked: Validation, console: Console) -> None:
    name = escape(checked.file)
    how = detected(checked.layout)
    if checked.error:
        console.print(
            f"[bold red]✗ {name}[/]: {escape(checked.error.message)} [dim]({checked.error.code})[/]"
        )
        if how:
            console.print(f"  {escape(how)}", highlight=False)
        return
    rows = checked.rows
    mark = "[bold yellow]![/]" if checked.rejected else "[bold green]✓[/]"
    console.print(
        f"{mark} [bold]{name}[/]: {rows.valid} valid, {rows.rejected} "
        f"rejected, {rows.duplicates} duplicates, {rows.blank} blank, "
        f"{rows.comments} comments"
    )
    console.print(f"  {escape(how)}", highlight=False)
    if checked.rejected:
        table = Table("row", "reason", show_edge=False)
        for rejection in checked.rejected:
            table.add_row(str(rejection.row), escape(rejection.reason))
        console.print(table)


def summary(outcomes: list[tuple[Path, Outcome]], console: Console) -> None:
    """One row per file, as the outcome tells it."""
    table = Table("file", "status", "exported", "rejected", "batches", "exports", show_edge=False)
    for path, outcome in outcomes:
        rows = outcome.rows
        done = len(outcome.batches) - len(outcome.unfinished)
        colour = {"succeeded": "green", "partial": "yellow"}.get(outcome.status, "red")
        if outcome.error is not None:
            where = f"{outcome.error.code}: {outcome.error.message}"
        else:
            where = (outcome.stored_outcome or "").rsplit("/", 1)[0]
        table.add_row(
            escape(str(path)),
            f"[{colour}]{outcome.status}[/]",
            f"{rows.exported}/{rows.valid - rows.duplicates}",
            str(rows.rejected),
            f"{done}/{len(outcome.batches)}",
            escape(where),
        )
    console.print(table)


VERDICT_COLOURS = {"inconsistent": "red", "unknown": "yellow", "consistent": "green"}
VERDICTS_SHOWN = 50  # sources listed, the worst first; the report lists them all


def verdicts(outcomes: list[tuple[Path, Outcome]], console: Console) -> None:
    """Which sources differ: the verdict table, the worst first."""
    table = Table(
        "source",
        "verdict",
        "different",
        "missing",
        "extra",
        "checked at",
        "reason",
        show_edge=False,
    )
    shown = listed = 0
    for _, outcome in outcomes:
        summary = outcome.consistency
        if summary is None:
            continue
        listed += len(summary.sources)
        for source in summary.sources[: VERDICTS_SHOWN - shown]:
            shown += 1
            colour = VERDICT_COLOURS[source.verdict]
            table.add_row(
                escape(source.source_name),
                f"[{colour}]{source.verdict}[/]",
                *(
                    "" if count is None else str(count)
                    for count in (source.different_files, source.missing_files, source.extra_files)
                ),
                source.checked_at or "",
                escape(source.reason or ""),
            )
    if not listed:
        return
    console.print(table)
    totals = [outcome.consistency for _, outcome in outcomes if outcome.consistency]
    differ = sum(summary.inconsistent for summary in totals)
    unknown = sum(summary.unknown for summary in totals)
    more = f" (the first {shown} shown; see report.html)" if shown < listed else ""
    console.print(f"{differ} of {listed} sources differ, {unknown} unknown{more}")
